using System.CommandLine;

namespace MklRnn.Cli;

/// <summary>Option building the verbs share.</summary>
internal static class CliOption
{
    /// <summary>An option with a description and a default value (shown by --help).</summary>
    public static Option<T> WithDefault<T>(string name, string description, T defaultValue) =>
        new(name) { Description = description, DefaultValueFactory = _ => defaultValue };
}
