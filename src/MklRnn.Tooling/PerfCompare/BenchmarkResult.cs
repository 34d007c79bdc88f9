namespace MklRnn.Tooling.PerfCompare;

/// <summary>
/// One benchmark of a result set, as BenchmarkDotNet measured it.
/// </summary>
/// <param name="FullName">BenchmarkDotNet's FullName: namespace, type, method and parameters; the pairing key.</param>
/// <param name="Measurements">Raw time per operation in nanoseconds of each Workload/Actual iteration
/// (Nanoseconds / Operations), before BenchmarkDotNet's outlier removal.</param>
/// <param name="ReportedMedian">Statistics.Median from the report (ns, after outlier removal), when present.</param>
/// <param name="BytesAllocatedPerOperation">Memory.BytesAllocatedPerOperation, when the report has it.</param>
/// <param name="SourceFile">The report file this benchmark came from.</param>
public sealed record BenchmarkResult(
    string FullName,
    IReadOnlyList<double> Measurements,
    double? ReportedMedian,
    long? BytesAllocatedPerOperation,
    string SourceFile)
{
    /// <summary>
    /// The median shown and used for the ratio: BenchmarkDotNet's own Statistics.Median when the report has one
    /// (the figure its summary table shows, as dotnet/performance's ResultsComparer does), else the median of the raw
    /// measurements.
    /// </summary>
    public double Median => ReportedMedian ?? SampleStatistics.Median(Measurements);

    /// <summary>Coefficient of variation of the raw measurements.</summary>
    public double CoefficientOfVariation => SampleStatistics.CoefficientOfVariation(Measurements);
}
