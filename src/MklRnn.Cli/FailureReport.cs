using MklRnn.CharLm;
using MklRnn.Distributed;
using MklRnn.Tooling;
using MklRnn.Tooling.PerfCompare;

namespace MklRnn.Cli;

/// <summary>
/// The one place where a verb's exception becomes what the user sees: one line on stderr,
/// <c>mklrnn VERB: error: MESSAGE</c>, and an exit code (docs/cli.md). The stack trace only with --verbose.
/// </summary>
internal static class FailureReport
{
    /// <summary>What the user got wrong (an argument, an input file, an output location): exit 2.</summary>
    private static bool IsInputError(Exception e) => e is ArgumentException or FormatException or InvalidDataException
        or IOException or UnauthorizedAccessException or CharLmException or PerfDataException or DistributedException;

    /// <summary>The work ran and failed as a run can (e.g. training diverged): exit 1, its message alone.</summary>
    private static bool IsRunFailure(Exception e) => e is TrainingDivergedException;

    public static int ExitCodeOf(Exception e) => e switch
    {
        CommandFailure failure => failure.ExitCode,
        _ when IsRunFailure(e) => ExitCodes.Failed,
        _ when IsInputError(e) => ExitCodes.Usage,
        _ => ExitCodes.Failed,
    };

    /// <summary>What the error line says: the message of an expected failure, the type too of an unexpected one.</summary>
    public static string MessageOf(Exception e) => IsExpected(e) ? e.Message : $"{e.GetType().Name}: {e.Message}";

    private static bool IsExpected(Exception e) => e is CommandFailure || IsInputError(e) || IsRunFailure(e);

    /// <summary>Writes the error line (and, verbose, the whole exception) and returns the exit code.</summary>
    public static int Write(string verb, Exception e, bool verbose, TextWriter error)
    {
        bool expected = IsExpected(e);
        Line(verb, MessageOf(e) + (expected || verbose ? "" : " (rerun with --verbose for the stack trace)"), error);
        if (verbose) error.WriteLine(e);
        return ExitCodeOf(e);
    }

    /// <summary>One error line: messages that span lines are joined, so scripts can rely on a single line.</summary>
    public static void Line(string verb, string message, TextWriter error)
    {
        string oneLine = string.Join(' ', message.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        error.WriteLine($"mklrnn{(verb.Length > 0 ? " " + verb : "")}: error: {oneLine}");
    }
}
