using System.CommandLine;
using MklRnn.Cli;

// mklrnn: the command-line tool. Each verb lives in its own file under Verbs/ and is listed in Verbs.cs.
var root = new RootCommand("MklRnn: recurrent networks (RNN, LSTM, GRU) on CPUs through Intel MKL.");
foreach (Command verb in Verbs.All())
    root.Subcommands.Add(verb);
ParseResult parse = root.Parse(args);
int exitCode = parse.Invoke();
// Usage errors (a missing argument, an unknown option) exit 2, never 1: 1 means "a check failed" (perf-compare, conformance).
return parse.Errors.Count > 0 ? 2 : exitCode;
