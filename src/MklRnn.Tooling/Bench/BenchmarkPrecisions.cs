using System.Reflection;

namespace MklRnn.Tooling.Bench;

/// <summary>
/// The precisions a perf run measured, as machine.json records them under <see cref="Key"/>: the --precision
/// names (f32, bf16, int8) of the benchmarks that ran, comma-separated in <see cref="Precision"/> order, so a
/// result set says whether any of its numbers came from reduced-precision GEMMs.
/// </summary>
public static class BenchmarkPrecisions
{
    public const string Key = "precisions";

    /// <summary>A benchmark method's precision: its own attribute, else its class's, else float32.</summary>
    public static Precision Of(MethodInfo benchmark) =>
        (benchmark.GetCustomAttribute<BenchmarkPrecisionAttribute>()
         ?? benchmark.ReflectedType?.GetCustomAttribute<BenchmarkPrecisionAttribute>())?.Precision ?? Precision.Float32;

    /// <summary>"f32,bf16,int8" for the methods given (each precision once); "" for none.</summary>
    public static string Describe(IEnumerable<MethodInfo> benchmarks) =>
        string.Join(",", benchmarks.Select(Of).Distinct().Order().Select(Name));

    /// <summary>The --precision name of a precision (BenchOptions.Precisions reversed).</summary>
    public static string Name(Precision precision) =>
        BenchOptions.Precisions.First(p => p.Value == precision).Key;
}
