using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using MklRnn.Layers;
using MklRnn.Onnx;

namespace MklRnn.Tooling.Bench;

/// <summary>
/// The peer engine for `bench --engine onnxruntime`: the shape's stack (same seed and inputs as
/// <see cref="StackWorkload"/>) exported by <see cref="OnnxExporter"/> and run by ONNX Runtime's CPU provider
/// in this process, set up as the anchors harness's ort engine is (IntraOpNumThreads = threads, one inter-op
/// thread, sequential execution, all graph optimizations, input and output OrtValues allocated once; the
/// timed iteration is only InferenceSession.Run). Inference only.
/// </summary>
internal sealed class OrtWorkload : IDisposable
{
    private readonly BenchOptions _options;
    private readonly SessionOptions _sessionOptions;
    private readonly InferenceSession _session;
    private readonly RunOptions _runOptions = new();
    private readonly float[] _input, _output;
    private readonly int[] _lengths;
    private readonly string[] _inputNames, _outputNames = ["output"];
    private readonly OrtValue[] _inputs, _outputs;

    public OrtWorkload(BenchOptions options, int[] lengths)
    {
        _options = options;
        _lengths = lengths;
        RnnConfig config = options.ToConfig();
        byte[] model;
        using (var stack = new OnnxRecurrentModel(new RecurrentStack(config, seed: BenchInputs.Seed)))
            model = OnnxExporter.Export(stack, new OnnxExportOptions { WithLengths = lengths.Length > 0 }).ToByteArray();
        _sessionOptions = new SessionOptions
        {
            IntraOpNumThreads = options.Threads,
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
        };
        _session = new InferenceSession(model, _sessionOptions);
        _input = BenchInputs.Uniform((long)options.T * options.N * options.I, BenchInputs.Seed + 1);
        _output = new float[(long)options.T * options.N * config.OutputSize];
        var inputs = new List<OrtValue> { OrtValue.CreateTensorValueFromMemory(_input, [options.T, options.N, options.I]) };
        _inputNames = lengths.Length > 0 ? ["input", "lengths"] : ["input"];
        if (lengths.Length > 0) inputs.Add(OrtValue.CreateTensorValueFromMemory(lengths, [options.N]));
        _inputs = inputs.ToArray();
        _outputs = [OrtValue.CreateTensorValueFromMemory(_output, [options.T, options.N, config.OutputSize])];
    }

    /// <summary>One timed iteration.</summary>
    public void Run() => _session.Run(_runOptions, _inputNames, _inputs, _outputNames, _outputs);

    /// <summary>After warm-up: ORT's output equals MklRnn's forward of the same weights and input within 1e-3 (null), else how far it is.</summary>
    public string? SanityProblem()
    {
        using var workload = new StackWorkload(_options, _lengths);
        workload.Run();
        float[] reference = workload.Output;
        double worst = 0;
        for (int i = 0; i < reference.Length; i++)
        {
            if (!float.IsFinite(_output[i])) return "an output is not finite";
            worst = Math.Max(worst, Math.Abs(reference[i] - _output[i]));
        }
        return worst <= 1e-3 ? null : $"onnxruntime's output differs from MklRnn's by {worst}";
    }

    public void Dispose()
    {
        foreach (OrtValue v in _inputs.Concat(_outputs)) v.Dispose();
        _session.Dispose();
        _sessionOptions.Dispose();
        _runOptions.Dispose();
    }
}
