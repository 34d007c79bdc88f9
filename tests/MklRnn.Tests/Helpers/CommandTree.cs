using System.CommandLine;
using MklRnn.Cli;

namespace MklRnn.Tests.Helpers;

/// <summary>The CLI's verbs as the tests walk them: every leaf command of the real tree, with the words that run it.</summary>
internal static class CommandTree
{
    /// <summary>(path, command) of every verb that runs: ("train", ...), ("seq2seq decode", ...), ...</summary>
    public static IEnumerable<(string Path, Command Command)> Verbs() => Leaves(CommandLineApp.Root(), "");

    public static Command Verb(string path) => Verbs().Single(v => v.Path == path).Command;

    private static IEnumerable<(string Path, Command Command)> Leaves(Command command, string path)
    {
        if (command.Subcommands.Count == 0)
        {
            yield return (path, command);
            yield break;
        }
        foreach (Command sub in command.Subcommands)
            foreach (var leaf in Leaves(sub, path.Length == 0 ? sub.Name : $"{path} {sub.Name}"))
                yield return leaf;
    }
}
