using BenchmarkDotNet.Attributes;
using MklRnn.Tooling.Bench;
using MklRnn.Layers;

namespace MklRnn.Perf;

/// <summary>
/// Full RecurrentStack calls at the harness's shapes: inference = Forward; training = Forward(training) + Backward
/// (all gradients; they accumulate across invocations, which costs the same as starting from zero).
/// MemoryDiagnoser's "Allocated" column shows 0 B: a call of an already-seen shape allocates nothing.
/// </summary>
[BenchmarkCategory("Layer")]
public class LayerBenchmarks
{
    private RecurrentStack _stack = null!;
    private float[] _input = [], _output = [], _gradOutput = [], _gradInput = [];

    public static IEnumerable<LayerShape> Shapes => PerfOptions.Current.Quick ? LayerShape.Quick : LayerShape.All;

    [ParamsSource(nameof(Shapes))]
    public LayerShape Shape { get; set; } = LayerShape.All[0];

    [GlobalSetup]
    public void Setup()
    {
        PerfSetup.UseAllCores();
        _stack = new RecurrentStack(Shape.Config, seed: BenchInputs.Seed);
        _input = BenchInputs.Uniform((long)Shape.T * Shape.N * Shape.I, BenchInputs.Seed + 1);
        _output = new float[(long)Shape.T * Shape.N * Shape.Config.OutputSize];
        _gradOutput = Shape.Training ? BenchInputs.Uniform(_output.Length, BenchInputs.Seed + 2) : [];
        _gradInput = Shape.Training ? new float[_input.Length] : [];
    }

    [Benchmark(Description = "RecurrentStack")]
    public void Run()
    {
        _stack.Forward(_input, Shape.T, Shape.N, _output, training: Shape.Training);
        if (Shape.Training) _stack.Backward(_gradOutput, _gradInput);
    }

    [GlobalCleanup]
    public void Cleanup() => _stack.Dispose();
}
