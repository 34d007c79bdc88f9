using MklRnn.Cli;

// mklrnn: the command-line tool. Each verb lives in its own file under Verbs/ and is listed in Verbs/VerbList.cs;
// CommandLineApp builds the tree and applies the exit-code rule.
return CommandLineApp.Invoke(args);
