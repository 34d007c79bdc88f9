namespace MklRnn.Cli.PerfCompare;

/// <summary>One BenchmarkDotNet full JSON report file: its benchmarks and the host it ran on.</summary>
internal sealed record BdnReport(string File, IReadOnlyList<BenchmarkResult> Benchmarks, MachineFacts Host);
