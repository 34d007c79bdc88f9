using System.CommandLine;
using MklRnn.Cli.Verbs;

namespace MklRnn.Cli;

/// <summary>
/// The mklrnn command tree and its error and exit-code rules, in one place (docs/cli.md): Program.cs runs it on the
/// console, the tests run it in-process with captured output, so both see the same verbs and the same exit codes.
/// A parse error (unknown flag, bad or out-of-range value, missing required) and any exception a verb throws
/// become one line on stderr, <c>mklrnn VERB: error: MESSAGE</c>, never a stack trace (unless --verbose).
/// </summary>
internal static class CommandLineApp
{
    /// <summary>Print the stack trace of a failure too (recursive: accepted after any verb).</summary>
    private static readonly Option<bool> Verbose = new("--verbose")
    {
        Description = "On failure, also print the exception's stack trace",
        Recursive = true,
    };

    public static RootCommand Root()
    {
        var root = new RootCommand("MklRnn: recurrent networks (RNN, LSTM, GRU) on CPUs through Intel MKL.") { Verbose };
        foreach (Command verb in VerbList.All())
            root.Subcommands.Add(verb);
        return root;
    }

    /// <summary>Parses and runs one command line; configuration null = the console.</summary>
    public static int Invoke(string[] args, InvocationConfiguration? configuration = null)
    {
        configuration ??= new InvocationConfiguration();
        configuration.EnableDefaultExceptionHandler = false;
        ParseResult parse = Root().Parse(args);
        string verb = VerbOf(parse);
        if (parse.Errors.Count > 0)
        {
            string help = $"see: mklrnn {verb}{(verb.Length > 0 ? " " : "")}--help";
            IEnumerable<string> problems = parse.Errors.Select(e => e.Message.TrimEnd('.')).Distinct();
            FailureReport.Line(verb, $"{string.Join("; ", problems)} ({help})", configuration.Error);
            return ExitCodes.Usage;
        }
        try
        {
            return parse.Invoke(configuration);
        }
        catch (Exception e)
        {
            return FailureReport.Write(verb, e, parse.GetValue(Verbose), configuration.Error);
        }
    }

    /// <summary>The verb's words as typed, e.g. "seq2seq decode" ("" for the root).</summary>
    private static string VerbOf(ParseResult parse)
    {
        var words = new List<string>();
        for (var command = parse.CommandResult; command.Parent is System.CommandLine.Parsing.CommandResult parent; command = parent)
            words.Insert(0, command.Command.Name);
        return string.Join(' ', words);
    }
}
