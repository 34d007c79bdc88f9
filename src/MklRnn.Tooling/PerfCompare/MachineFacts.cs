namespace MklRnn.Tooling.PerfCompare;

/// <summary>
/// Facts about the machine and libraries a result set was measured with: machine.json written by the benchmark
/// runner, completed from BenchmarkDotNet's HostEnvironmentInfo for keys machine.json lacks.
/// </summary>
public sealed record MachineFacts(IReadOnlyDictionary<string, string> Values)
{
    public const string Cpu = "cpu";
    public const string Cores = "cores";
    public const string PhysicalCores = "physical_cores";
    public const string Os = "os";
    public const string DotnetVersion = "dotnet_version";
    public const string MklVersion = "mkl_version";
    public const string MklThreadingLayer = "mkl_threading_layer";
    public const string MklThreads = "mkl_threads";
    public const string MklRnnCommit = "mklrnn_commit";
    public const string BenchmarkDotNetVersion = "benchmarkdotnet_version";
    public const string Precisions = Bench.BenchmarkPrecisions.Key; // the GEMM precisions the run measured

    /// <summary>The order facts are shown in; keys not listed follow, sorted.</summary>
    public static readonly IReadOnlyList<string> DisplayOrder =
    [
        Cpu, Cores, PhysicalCores, Os, DotnetVersion, MklVersion, MklThreadingLayer, MklThreads, MklRnnCommit,
        BenchmarkDotNetVersion, Precisions,
    ];

    /// <summary>Facts that make timings incomparable when they differ between base and new: a warning each.</summary>
    public static readonly IReadOnlySet<string> MustMatch = new HashSet<string>(StringComparer.Ordinal)
    {
        Cpu, Cores, DotnetVersion, MklVersion, MklThreadingLayer, MklThreads,
    };

    public static MachineFacts Empty { get; } = new(new Dictionary<string, string>());

    public string? this[string key] => Values.TryGetValue(key, out string? v) ? v : null;

    /// <summary>These facts, with every key of <paramref name="overrides"/> replacing or adding to them.</summary>
    public MachineFacts OverlaidWith(MachineFacts overrides)
    {
        var merged = new Dictionary<string, string>(Values, StringComparer.Ordinal);
        foreach (var (key, value) in overrides.Values)
            merged[key] = value;
        return new MachineFacts(merged);
    }
}
