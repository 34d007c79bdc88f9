using MklRnn.Interop;
using MklRnn.Layers;

namespace MklRnn.Cli.Bench;

/// <summary>
/// Runs one benchmark request: validates it, sets MKL's threads, times the engine (and the same GEMMs alone),
/// and prints the human line and the RESULT line. Exit codes follow the harness protocol.
/// </summary>
internal static class BenchRunner
{
    public const int Ok = 0;
    public const int Failed = 1;
    public const int Usage = 2;
    public const int SanityFailure = 3;
    public const int Unsupported = 4;

    public static int Run(BenchOptions options, TextWriter output, TextWriter error)
    {
        if (options.FindError() is string problem)
        {
            error.WriteLine($"bench: {problem}");
            return Usage;
        }
        if (options.Training && options.Precision != "f32")
        {
            // The protocol's "unsupported" (as oneDNN's bf16/int8 engines answer for training), not a usage error.
            error.WriteLine($"bench: --precision {options.Precision} is for --mode infer; training runs in f32");
            return Unsupported;
        }
        if (!options.CellSupported)
        {
            error.WriteLine($"bench: cell '{options.Cell}' is not supported (supported: {string.Join(", ", BenchOptions.Cells.Keys)})");
            return Unsupported;
        }
        try
        {
            return Measure(options, output, error);
        }
        catch (Exception e) when (e is MklRnnNativeException or ArgumentException or OutOfMemoryException or InvalidOperationException)
        {
            error.WriteLine($"bench: {e.Message.Split('\n')[0]}");
            return Failed;
        }
    }

    private static int Measure(BenchOptions options, TextWriter output, TextWriter error)
    {
        NativeLoader.EnsureLoaded();
        MklRuntime.SetThreads(options.Threads);
        int[] lengths = options.Lengths == "uniform" ? BenchInputs.UniformLengths(options.T, options.N, BenchInputs.Seed) : [];
        long rows = lengths.Length > 0 ? lengths.Sum(l => (long)l) : (long)options.T * options.N;

        if (options.Engine == "onnxruntime") return MeasureOrt(options, lengths, rows, output, error);
        Timing engine;
        using (var stack = new StackWorkload(options, lengths))
        {
            engine = IterationTimer.Measure(stack.Run, stack.Prepare, options.Iters, options.Warmup, options.MinTime);
            if (stack.SanityProblem() is string insane)
            {
                error.WriteLine($"bench: SANITY FAILURE: {insane}");
                return SanityFailure;
            }
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
            StepPath = StepPathOf(options, lengths),
            IntelCpuOverride = NativeLoader.IntelCpuOverrideReason,
        };
        output.WriteLine(result.ToHumanLine());
        if (options.Json) output.WriteLine(result.ToResultLine());
        return Ok;
    }

    /// <summary>The same shape in ONNX Runtime (inference only; the protocol's exit 4 for training).</summary>
    private static int MeasureOrt(BenchOptions options, int[] lengths, long rows, TextWriter output, TextWriter error)
    {
        if (options.Training)
        {
            error.WriteLine("bench: engine onnxruntime runs inference only");
            return Unsupported;
        }
        using var ort = new OrtWorkload(options, lengths);
        Timing engine = IterationTimer.Measure(ort.Run, null, options.Iters, options.Warmup, options.MinTime);
        if (ort.SanityProblem() is string insane)
        {
            error.WriteLine($"bench: SANITY FAILURE: {insane}");
            return SanityFailure;
        }
        double flops = FlopCount.Standard(options.ToConfig(), rows, training: false);
        var result = new BenchResult(options, options.Threads, rows, flops, engine, null, MklRuntime.Version) { StepPath = "onnxruntime" };
        output.WriteLine(result.ToHumanLine());
        if (options.Json) output.WriteLine(result.ToResultLine());
        return Ok;
    }

    /// <summary>The engine's choice (StepLoopChooser) between MKL steps and the column split.</summary>
    private static string StepPathOf(BenchOptions options, int[] lengths)
    {
        if (options.Precision != "f32") return "mkl-" + options.Precision; // the reduced path has its own step loop
        var plan = new SequencePlan();
        plan.Build(options.T, options.N, lengths);
        bool split = StepLoopChooser.Choose(options.ToConfig(), plan, options.Training, twoThreads: options.Threads >= 2) == StepLoopKind.ColumnSplit;
        return split ? "column-split" : "mkl";
    }
}
