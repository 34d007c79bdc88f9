namespace MklRnn.Cli.PerfCompare;

/// <summary>What the comparison concludes about one benchmark present in both sets.</summary>
internal enum Verdict
{
    /// <summary>No significant change beyond the threshold.</summary>
    Same,

    /// <summary>A regression: significantly slower by more than the threshold.</summary>
    Slower,

    /// <summary>An improvement: significantly faster by more than the threshold.</summary>
    Faster,
}
