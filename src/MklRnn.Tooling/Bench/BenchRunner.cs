using MklRnn.Interop;
using MklRnn.Layers;

namespace MklRnn.Tooling.Bench;

/// <summary>
/// Runs one benchmark request: validates it, sets MKL's threads, times the engine (and the same GEMMs alone),
/// and prints the human line and the RESULT line. Exit codes follow the harness protocol.
/// </summary>
public static class BenchRunner
{
    public const int Ok = 0;
    public const int Failed = 1;
    public const int Usage = 2;
    public const int SanityFailure = 3;
    public const int Unsupported = 4;

    /// <summary>Runs the request; a failure is a <see cref="CommandFailure"/> with the protocol's exit code.</summary>
    public static int Run(BenchOptions options, TextWriter output)
    {
        if (options.FindError() is string problem)
            throw new CommandFailure(Usage, problem);
        if (options.Training && options.Precision != "f32") // the protocol's "unsupported", as oneDNN's bf16/int8 engines answer
            throw new CommandFailure(Unsupported, $"--precision {options.Precision} is for --mode infer; training runs in f32");
        if (!options.CellSupported)
            throw new CommandFailure(Unsupported,
                $"cell '{options.Cell}' is not supported (supported: {CellKindNames.CommandLineChoices}, {BenchOptions.ProtocolOnlyCells})");
        try
        {
            return Measure(options, output);
        }
        catch (Exception e) when (e is MklRnnNativeException or OutOfMemoryException)
        {
            throw new CommandFailure(Failed, e.Message);
        }
    }

    private static int Measure(BenchOptions options, TextWriter output)
    {
        MklRuntime.SetThreads(options.Threads);
        int[] lengths = options.Lengths == "uniform" ? BenchInputs.UniformLengths(options.T, options.N, BenchInputs.Seed) : [];
        var plan = new SequencePlan();
        plan.Build(options.T, options.N, lengths);
        long rows = lengths.Length > 0 ? lengths.Sum(l => (long)l) : (long)options.T * options.N;

        if (options.Engine == "onnxruntime") return MeasureOrt(options, lengths, rows, output);
        Timing engine;
        (double Max, double Mean)? error = null;
        using (var stack = new StackWorkload(options, lengths))
        {
            engine = IterationTimer.Measure(stack.Run, stack.Prepare, options.Iters, options.Warmup, options.MinTime);
            if (stack.SanityProblem() is string insane)
                throw new CommandFailure(SanityFailure, $"SANITY FAILURE: {insane}");
            if (options.Precision != "f32") error = stack.ErrorAgainstFloat32();
        }

        Timing? gemmOnly = null;
        // The GEMM-only workload issues float32 GEMMs: beside a reduced-precision engine it would mislead.
        if (!options.NoGemmOnly && options.Precision == "f32")
        {
            using var gemms = new GemmOnlyWorkload(options, lengths);
            gemmOnly = IterationTimer.Measure(gemms.Run, null, options.Iters, options.Warmup, options.MinTime);
        }

        double flops = FlopCount.Standard(options.ToConfig(), rows, options.Training);
        var result = new BenchResult(options, options.Threads, rows, flops, engine, gemmOnly, MklRuntime.Version)
        {
            StepPath = GemmOnlyWorkload.StepPathOf(options, plan),
            IntelCpuOverride = NativeLoader.IntelCpuOverrideReason,
            ErrorVsFloat32 = error,
            KernelIsa = NativeLoader.KernelIsa,
        };
        output.WriteLine(result.ToHumanLine());
        if (options.Json) output.WriteLine(result.ToResultLine());
        return Ok;
    }

    /// <summary>The same shape in ONNX Runtime (inference only; the protocol's exit 4 for training).</summary>
    private static int MeasureOrt(BenchOptions options, int[] lengths, long rows, TextWriter output)
    {
        if (options.Training)
            throw new CommandFailure(Unsupported, "engine onnxruntime runs inference only");
        using var ort = new OrtWorkload(options, lengths);
        Timing engine = IterationTimer.Measure(ort.Run, null, options.Iters, options.Warmup, options.MinTime);
        if (ort.SanityProblem() is string insane)
            throw new CommandFailure(SanityFailure, $"SANITY FAILURE: {insane}");
        double flops = FlopCount.Standard(options.ToConfig(), rows, training: false);
        var result = new BenchResult(options, options.Threads, rows, flops, engine, null, MklRuntime.Version) { StepPath = "onnxruntime" };
        output.WriteLine(result.ToHumanLine());
        if (options.Json) output.WriteLine(result.ToResultLine());
        return Ok;
    }
}
