using System.Reflection;
using MklRnn.Tooling.Bench;
using MklRnn.Tooling.PerfCompare;
using MklRnn.Tests.Tooling.PerfCompare;
using P = MklRnn.Precision; // MklRnn.Tests.Precision, a namespace, would hide the enum

namespace MklRnn.Tests.Tooling.Bench;

public class BenchmarkPrecisionsTests
{
    private sealed class MixedBenchmarks
    {
        public void Float32() { }
        [BenchmarkPrecision(P.Int8)] public void Int8() { }
        [BenchmarkPrecision(P.BFloat16)] public void BFloat16() { }
    }

    [BenchmarkPrecision(P.BFloat16)]
    private sealed class Bf16Benchmarks
    {
        public void ClassLevel() { }
        [BenchmarkPrecision(P.Int8)] public void MethodWins() { }
    }

    private static MethodInfo M<T>(string name) => typeof(T).GetMethod(name)!;

    [Fact]
    public void EachBenchmarksPrecisionComesFromItsMethodThenItsClassThenFloat32()
    {
        Assert.Equal(P.Float32, BenchmarkPrecisions.Of(M<MixedBenchmarks>("Float32")));
        Assert.Equal(P.Int8, BenchmarkPrecisions.Of(M<MixedBenchmarks>("Int8")));
        Assert.Equal(P.BFloat16, BenchmarkPrecisions.Of(M<Bf16Benchmarks>("ClassLevel")));
        Assert.Equal(P.Int8, BenchmarkPrecisions.Of(M<Bf16Benchmarks>("MethodWins")));
    }

    [Fact]
    public void TheRunsPrecisionsAreListedOnceInEnumOrderByTheirCliNames()
    {
        Assert.Equal("f32", BenchmarkPrecisions.Describe([M<MixedBenchmarks>("Float32"), M<MixedBenchmarks>("Float32")]));
        Assert.Equal("f32,bf16,int8", BenchmarkPrecisions.Describe(
            [M<MixedBenchmarks>("Int8"), M<MixedBenchmarks>("Float32"), M<Bf16Benchmarks>("ClassLevel"), M<MixedBenchmarks>("BFloat16")]));
        Assert.Equal("bf16,int8", BenchmarkPrecisions.Describe([M<Bf16Benchmarks>("MethodWins"), M<Bf16Benchmarks>("ClassLevel")]));
        Assert.Equal("", BenchmarkPrecisions.Describe([]));
    }

    [Fact]
    public void PerfCompareShowsThePrecisionsOfBothRuns()
    {
        using var folder = new TempFolder();
        foreach (var (side, precisions) in new[] { ("base", "f32"), ("new", "f32,bf16,int8") })
        {
            new BdnJsonBuilder().Add("Synthetic.Lstm.Forward", 1_000, 0.01, seed: 1).WriteTo(folder[$"{side}/All-report-full.json"]);
            File.WriteAllText(folder[$"{side}/machine.json"], $$"""{"cpu": "Synthetic CPU", "precisions": "{{precisions}}"}""");
        }
        ComparisonReport report = PerfComparer.Compare(ResultSetLoader.Load(folder["base"]), ResultSetLoader.Load(folder["new"]),
            ComparisonOptions.Default);
        MachineFactRow row = report.Machine.Single(r => r.Key == MachineFacts.Precisions);
        Assert.Equal(("f32", "f32,bf16,int8"), (row.Base, row.New));
        Assert.True(row.Differs);
    }
}
