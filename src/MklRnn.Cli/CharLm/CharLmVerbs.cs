using System.CommandLine;
using MklRnn.CharLm;

namespace MklRnn.Cli.CharLm;

/// <summary>What the character LM verbs share: user errors become one line on stderr and exit code 1.</summary>
internal static class CharLmVerbs
{
    public const int UserError = 1;

    public static int Guard(string verb, ParseResult parse, Func<TextWriter, int> run)
    {
        TextWriter output = parse.InvocationConfiguration.Output, error = parse.InvocationConfiguration.Error;
        try
        {
            return run(output);
        }
        catch (CharLmException e)
        {
            error.WriteLine($"{verb}: error: {e.Message}");
            return UserError;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            error.WriteLine($"{verb}: error: {e.Message}"); // e.g. a checkpoint folder that cannot be written
            return UserError;
        }
    }
}
