using System.CommandLine;
using MklRnn.Cli;

// mklrnn: the command-line tool. Each verb lives in its own file under Verbs/ and is listed in Verbs.cs.
var root = new RootCommand("MklRnn: recurrent networks (RNN, LSTM, GRU) on CPUs through Intel MKL.");
foreach (Command verb in Verbs.All())
    root.Subcommands.Add(verb);
return root.Parse(args).Invoke();
