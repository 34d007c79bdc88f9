using System.CommandLine;

namespace MklRnn.Cli;

/// <summary>The --cell option every verb that builds a model takes: one set of names (CellKindNames), checked at parse time.</summary>
internal static class CliCell
{
    /// <summary>rejectUnknown false: bench, whose harness protocol wants exit 4 (not 2) for a cell it does not run.</summary>
    public static Option<string> Option(string? extraChoices = null, bool rejectUnknown = true)
    {
        const string defaultValue = "lstm";
        string choices = CellKindNames.CommandLineChoices + (extraChoices == null ? "" : ", " + extraChoices);
        var option = CliOption.WithDefault("--cell", $"Recurrent cell: {choices}", defaultValue);
        option.Validators.Add(result =>
        {
            string name = result.GetValueOrDefault<string>() ?? "";
            if (rejectUnknown && CellKindNames.Parse(name) == null)
                result.AddError($"--cell must be one of {choices}, got '{name}'");
        });
        return option;
    }

    /// <summary>The cell of a value the option's validator accepted.</summary>
    public static CellKind Parse(string name) =>
        CellKindNames.Parse(name) ?? throw UsageError.Because($"--cell must be one of {CellKindNames.CommandLineChoices}, got '{name}'");
}
