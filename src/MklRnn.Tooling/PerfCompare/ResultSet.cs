namespace MklRnn.Tooling.PerfCompare;

/// <summary>
/// A loaded set of benchmark results: one JSON report, or every report under a folder, merged.
/// </summary>
/// <param name="Source">The path given on the command line.</param>
/// <param name="Files">The report files read, in reading order.</param>
/// <param name="Benchmarks">The benchmarks, unique by FullName, in order of first appearance.</param>
/// <param name="Machine">Machine and library facts.</param>
/// <param name="Warnings">Problems that did not prevent loading (duplicate benchmarks, disagreeing hosts).</param>
public sealed record ResultSet(
    string Source,
    IReadOnlyList<string> Files,
    IReadOnlyList<BenchmarkResult> Benchmarks,
    MachineFacts Machine,
    IReadOnlyList<string> Warnings);
