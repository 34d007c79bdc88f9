using MklRnn.Layers;

namespace MklRnn.Tooling.Bench;

/// <summary>
/// The engine's work for one benchmark iteration: a <see cref="RecurrentStack"/> forward (inference), or a
/// training forward plus the full backward (input, state, weight and bias gradients). Inputs are seeded and
/// every buffer is allocated once, here, so the timed iterations allocate nothing.
/// </summary>
public sealed class StackWorkload : IDisposable
{
    private readonly RecurrentStack _stack;
    private readonly BenchOptions _options;
    private readonly float[] _input, _output, _gradOutput, _gradInput;
    private readonly int[] _lengths;

    public StackWorkload(BenchOptions options, int[] lengths)
    {
        _options = options;
        _lengths = lengths;
        RnnConfig config = options.ToConfig();
        _stack = new RecurrentStack(config, seed: BenchInputs.Seed) { UseSideThread = options.Threads >= 2 };
        _stack.PrepareInference(BenchOptions.Precisions[options.Precision]);
        _input = BenchInputs.Uniform((long)options.T * options.N * options.I, BenchInputs.Seed + 1);
        _output = new float[(long)options.T * options.N * config.OutputSize];
        _gradOutput = options.Training ? BenchInputs.Uniform(_output.Length, BenchInputs.Seed + 2) : [];
        _gradInput = options.Training ? new float[_input.Length] : [];
    }

    public RecurrentStack Stack => _stack;

    /// <summary>The last iteration's output (the reference the ORT engine is checked against).</summary>
    public float[] Output => _output;

    /// <summary>One timed iteration.</summary>
    public void Run()
    {
        _stack.Forward(_input, _options.T, _options.N, _output, lengths: _lengths, training: _options.Training);
        if (_options.Training) _stack.Backward(_gradOutput, _gradInput);
    }

    /// <summary>Outside the timer before each iteration: Backward accumulates, so gradients start from zero.</summary>
    public void Prepare()
    {
        if (_options.Training) _stack.ZeroGrad();
    }

    /// <summary>
    /// After warm-up: every output finite and inside (-1, 1] (all cells but relu bound |h| by 1), not all zero;
    /// in training the input gradient finite. Null when sane, else what is wrong.
    /// </summary>
    public string? SanityProblem()
    {
        bool bounded = _options.ToConfig().Cell != CellKind.RnnRelu;
        double largest = 0;
        foreach (float v in _output)
        {
            if (!float.IsFinite(v)) return "an output is not finite";
            largest = Math.Max(largest, Math.Abs(v));
        }
        if (largest == 0) return "every output is zero";
        if (bounded && largest > 1 + 1e-5) return $"max |output| = {largest} > 1";
        foreach (float g in _gradInput)
            if (!float.IsFinite(g)) return "an input gradient is not finite";
        return null;
    }

    /// <summary>
    /// Reduced precision: the last iteration's output against the same stack's float32 forward of the same input
    /// (max and mean |difference|, as the harness's oneDNN bf16/int8 engines report theirs). Re-prepares the stack
    /// for float32: call after timing.
    /// </summary>
    public (double Max, double Mean) ErrorAgainstFloat32()
    {
        var reference = new float[_output.Length];
        _stack.PrepareInference(global::MklRnn.Precision.Float32);
        _stack.Forward(_input, _options.T, _options.N, reference, lengths: _lengths);
        double max = 0, sum = 0;
        for (int i = 0; i < reference.Length; i++)
        {
            double d = Math.Abs((double)_output[i] - reference[i]);
            max = Math.Max(max, d);
            sum += d;
        }
        return (max, reference.Length > 0 ? sum / reference.Length : 0);
    }

    public void Dispose() => _stack.Dispose();
}
