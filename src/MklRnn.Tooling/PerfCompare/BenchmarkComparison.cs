namespace MklRnn.Tooling.PerfCompare;

/// <summary>One benchmark present in both sets, compared.</summary>
/// <param name="Name">The FullName both results share.</param>
/// <param name="Ratio">New median / base median: above 1 is slower.</param>
/// <param name="Test">Mann-Whitney U test of the raw measurements (base as x, new as y).</param>
/// <param name="Noise">Why the pair's verdict is unreliable, or null; a warning only, it does not change the verdict.</param>
public sealed record BenchmarkComparison(
    string Name,
    BenchmarkResult Base,
    BenchmarkResult New,
    double Ratio,
    MannWhitneyResult Test,
    Verdict Verdict,
    AllocationChange Allocation,
    string? Noise)
{
    public double BaseMedian => Base.Median;
    public double NewMedian => New.Median;
    public double PValue => Test.PValue;
    public bool IsNoisy => Noise is not null;
}
