namespace MklRnn.Cli;

/// <summary>The exit codes every verb uses (docs/cli.md); bench adds the anchors harness's 3 and 4.</summary>
internal static class ExitCodes
{
    /// <summary>The verb did its work.</summary>
    public const int Ok = 0;

    /// <summary>The work ran but a check failed (a conformance case, a perf regression, --min-accuracy), or the engine failed.</summary>
    public const int Failed = 1;

    /// <summary>Usage or input error: an unknown flag, a value out of range, a missing or unreadable file, a bad file.</summary>
    public const int Usage = 2;
}
