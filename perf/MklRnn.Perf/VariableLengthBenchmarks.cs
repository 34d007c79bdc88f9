using BenchmarkDotNet.Attributes;
using MklRnn.Tooling.Bench;
using MklRnn.Layers;

namespace MklRnn.Perf;

/// <summary>
/// S1 sizes (LSTM inference, T = 50, N = 64, I = H = 512) with lengths uniform in [T/4, T] (seeded), next to a
/// plain batch doing the same number of rows (N = 64, T' = sum of lengths / N): the cost of variable lengths
/// (shrinking per-step batches, gathers) at equal work. Full S1 (every length T) is in LayerBenchmarks.
/// </summary>
[BenchmarkCategory("VariableLength")]
public class VariableLengthBenchmarks
{
    private const int T = 50, N = 64, I = 512, H = 512;
    private RecurrentStack _stack = null!;
    private int[] _lengths = [];
    private int _paddedT;
    private float[] _input = [], _output = [];

    [GlobalSetup]
    public void Setup()
    {
        PerfSetup.UseAllCores();
        _stack = new RecurrentStack(new RnnConfig(CellKind.Lstm, I, H), seed: BenchInputs.Seed);
        _lengths = BenchInputs.UniformLengths(T, N, BenchInputs.Seed);
        _paddedT = (int)Math.Round(_lengths.Sum() / (double)N);
        _input = BenchInputs.Uniform((long)T * N * I, BenchInputs.Seed + 1);
        _output = new float[(long)T * N * H];
        Console.WriteLine($"// variable lengths: sum {_lengths.Sum()} rows; equal-rows batch T' = {_paddedT} x N = {N}");
    }

    [Benchmark(Description = "S1 lengths uniform [T/4,T]")]
    public void VariableLengths() => _stack.Forward(_input, T, N, _output, lengths: _lengths);

    [Benchmark(Baseline = true, Description = "S1 equal rows, T' = sum/N")]
    public void EqualRows() =>
        _stack.Forward(_input.AsSpan(0, _paddedT * N * I), _paddedT, N, _output.AsSpan(0, _paddedT * N * H));

    [GlobalCleanup]
    public void Cleanup() => _stack.Dispose();
}
