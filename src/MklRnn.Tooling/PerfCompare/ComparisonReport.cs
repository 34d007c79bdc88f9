namespace MklRnn.Tooling.PerfCompare;

/// <summary>Everything a comparison found; rendering is separate (<see cref="ReportRenderer"/>).</summary>
/// <param name="Comparisons">Benchmarks present in both sets, in base order.</param>
/// <param name="OnlyInBase">FullNames present in base only (removed or renamed benchmarks).</param>
/// <param name="OnlyInNew">FullNames present in new only (added benchmarks).</param>
/// <param name="Machine">Machine and library facts side by side.</param>
/// <param name="Warnings">Differing machine facts and loading problems.</param>
public sealed record ComparisonReport(
    ResultSet Base,
    ResultSet New,
    ComparisonOptions Options,
    IReadOnlyList<BenchmarkComparison> Comparisons,
    IReadOnlyList<string> OnlyInBase,
    IReadOnlyList<string> OnlyInNew,
    IReadOnlyList<MachineFactRow> Machine,
    IReadOnlyList<string> Warnings)
{
    /// <summary>Slower benchmarks, worst first.</summary>
    public IReadOnlyList<BenchmarkComparison> Regressions =>
        [.. Comparisons.Where(c => c.Verdict == Verdict.Slower).OrderByDescending(c => c.Ratio)];

    /// <summary>Faster benchmarks, best first.</summary>
    public IReadOnlyList<BenchmarkComparison> Improvements =>
        [.. Comparisons.Where(c => c.Verdict == Verdict.Faster).OrderBy(c => c.Ratio)];

    public IReadOnlyList<BenchmarkComparison> Same => [.. Comparisons.Where(c => c.Verdict == Verdict.Same)];

    /// <summary>Pairs whose allocations per operation changed, whatever their time verdict.</summary>
    public IReadOnlyList<BenchmarkComparison> AllocationChanges =>
        [.. Comparisons.Where(c => c.Allocation == AllocationChange.Changed)];

    /// <summary>"Same" pairs whose measurements are too noisy to trust that verdict.</summary>
    public IReadOnlyList<BenchmarkComparison> NoisySame => [.. Same.Where(c => c.IsNoisy)];

    /// <summary>1 when any benchmark regressed, else 0.</summary>
    public int ExitCode => Regressions.Count > 0 ? 1 : 0;

    public string Summary => $"{Regressions.Count} regressions, {Improvements.Count} improvements, {Same.Count} same";
}
