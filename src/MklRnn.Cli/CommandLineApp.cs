using System.CommandLine;

namespace MklRnn.Cli;

/// <summary>
/// The mklrnn command tree and its exit-code rule, in one place: Program.cs runs it on the console, the tests
/// run it in-process with captured output, so both see the same verbs and the same exit codes.
/// </summary>
internal static class CommandLineApp
{
    /// <summary>Exit code of a usage error (a missing argument, an unknown option).</summary>
    public const int UsageError = 2;

    public static RootCommand Root()
    {
        var root = new RootCommand("MklRnn: recurrent networks (RNN, LSTM, GRU) on CPUs through Intel MKL.");
        foreach (Command verb in Verbs.All())
            root.Subcommands.Add(verb);
        return root;
    }

    /// <summary>Parses and runs one command line; configuration null = the console.</summary>
    public static int Invoke(string[] args, InvocationConfiguration? configuration = null)
    {
        ParseResult parse = Root().Parse(args);
        int exitCode = configuration == null ? parse.Invoke() : parse.Invoke(configuration);
        // Usage errors exit 2, never 1: 1 means "a check failed" (perf-compare, conformance).
        return parse.Errors.Count > 0 ? UsageError : exitCode;
    }
}
