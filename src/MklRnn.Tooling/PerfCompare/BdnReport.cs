namespace MklRnn.Tooling.PerfCompare;

/// <summary>One BenchmarkDotNet full JSON report file: its benchmarks and the host it ran on.</summary>
public sealed record BdnReport(string File, IReadOnlyList<BenchmarkResult> Benchmarks, MachineFacts Host);
