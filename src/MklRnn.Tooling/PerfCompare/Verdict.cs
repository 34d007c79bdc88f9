namespace MklRnn.Tooling.PerfCompare;

/// <summary>What the comparison concludes about one benchmark present in both sets.</summary>
public enum Verdict
{
    /// <summary>No significant change beyond the threshold.</summary>
    Same,

    /// <summary>A regression: significantly slower by more than the threshold.</summary>
    Slower,

    /// <summary>An improvement: significantly faster by more than the threshold.</summary>
    Faster,
}
