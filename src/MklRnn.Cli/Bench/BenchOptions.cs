namespace MklRnn.Cli.Bench;

/// <summary>
/// One benchmark request in the anchors harness's engine protocol (/work/shared/anchors/README.md):
/// cell, mode and shape, thread count, and the timing rule (warm-up, at least Iters timed iterations
/// and at least MinTime seconds).
/// </summary>
internal sealed record BenchOptions
{
    public string Cell { get; init; } = "lstm";
    public string Mode { get; init; } = "infer";
    public int T { get; init; } = 50;
    public int N { get; init; } = 64;
    public int I { get; init; } = 512;
    public int H { get; init; } = 512;
    public int Layers { get; init; } = 1;
    public int Dirs { get; init; } = 1;
    public int Threads { get; init; } = Environment.ProcessorCount;
    public int Iters { get; init; } = 10;
    public int Warmup { get; init; } = 3;
    public double MinTime { get; init; } = 1.0;
    public string Shape { get; init; } = "";
    public bool Json { get; init; }

    /// <summary>"mklrnn", or "onnxruntime": the same stack exported to ONNX and run by ONNX Runtime in this process.</summary>
    public string Engine { get; init; } = "mklrnn";

    /// <summary>"full" (every sequence T steps) or "uniform" (lengths uniform in [T/4, T], seeded).</summary>
    public string Lengths { get; init; } = "full";

    /// <summary>Inference GEMM precision: f32 | bf16 | int8 (RecurrentStack.PrepareInference).</summary>
    public string Precision { get; init; } = "f32";

    /// <summary>Skip the GEMM-only measurement (halves the run time).</summary>
    public bool NoGemmOnly { get; init; }

    public bool Training => Mode == "train";

    /// <summary>The cells the protocol names, and what MklRnn runs for each (gru = PyTorch's, linear before reset).</summary>
    public static readonly IReadOnlyDictionary<string, (CellKind Kind, bool LinearBeforeReset)> Cells =
        new Dictionary<string, (CellKind, bool)>(StringComparer.Ordinal)
        {
            ["lstm"] = (CellKind.Lstm, true),
            ["gru"] = (CellKind.Gru, true),
            ["gru_rbl"] = (CellKind.Gru, false),
            ["rnn_tanh"] = (CellKind.RnnTanh, true),
            ["rnn_relu"] = (CellKind.RnnRelu, true),
        };

    /// <summary>The first invalid value, as a one-line message naming the option; null when all are valid.</summary>
    public string? FindError()
    {
        if (Engine is not ("mklrnn" or "onnxruntime")) return $"--engine must be mklrnn or onnxruntime, got '{Engine}'";
        if (Mode is not ("infer" or "train")) return $"--mode must be infer or train, got '{Mode}'";
        if (Dirs is not (1 or 2)) return $"--dirs must be 1 or 2, got {Dirs}";
        if (Lengths is not ("full" or "uniform")) return $"--lengths must be full or uniform, got '{Lengths}'";
        if (!Precisions.ContainsKey(Precision)) return $"--precision must be f32, bf16 or int8, got '{Precision}'";
        foreach (var (name, value) in new[] { ("--T", T), ("--N", N), ("--I", I), ("--H", H), ("--layers", Layers), ("--threads", Threads) })
            if (value < 1) return $"{name} must be >= 1, got {value}";
        if (Iters < 1) return $"--iters must be >= 1, got {Iters}";
        if (Warmup < 0) return $"--warmup must be >= 0, got {Warmup}";
        if (!(MinTime >= 0) || double.IsInfinity(MinTime)) return $"--min-time must be a number of seconds >= 0, got {MinTime}";
        return null;
    }

    /// <summary>The --precision names and the engine's setting for each.</summary>
    public static readonly IReadOnlyDictionary<string, global::MklRnn.Precision> Precisions =
        new Dictionary<string, global::MklRnn.Precision>(StringComparer.Ordinal)
        {
            ["f32"] = global::MklRnn.Precision.Float32,
            ["bf16"] = global::MklRnn.Precision.BFloat16,
            ["int8"] = global::MklRnn.Precision.Int8,
        };

    /// <summary>Whether MklRnn runs this cell (the protocol's exit 4 otherwise).</summary>
    public bool CellSupported => Cells.ContainsKey(Cell);

    public RnnConfig ToConfig()
    {
        var (kind, linearBeforeReset) = Cells[Cell];
        return new RnnConfig(kind, I, H, Layers, Dirs == 2) { LinearBeforeReset = linearBeforeReset };
    }
}
