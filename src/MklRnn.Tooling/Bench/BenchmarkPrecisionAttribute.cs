namespace MklRnn.Tooling.Bench;

/// <summary>
/// The arithmetic a benchmark method (or every method of a class) measures, for the perf suite's machine.json
/// (<see cref="BenchmarkPrecisions"/>). A benchmark without it runs in float32, the engine's default.
/// </summary>
[AttributeUsage(AttributeTargets.Method | AttributeTargets.Class, Inherited = true)]
public sealed class BenchmarkPrecisionAttribute(Precision precision) : Attribute
{
    public Precision Precision { get; } = precision;
}
