using System.CommandLine;
using MklRnn.Tooling.Bench;
using static MklRnn.Cli.CliOption;

namespace MklRnn.Cli.Verbs;

/// <summary>
/// <c>mklrnn bench --cell lstm --mode infer --T 50 --N 64 --I 512 --H 512 ... --json</c>: one benchmark in the
/// anchors harness's engine protocol (prints <c>RESULT {json}</c>). Exit 2: bad options; 3: implausible
/// outputs; 4: unsupported cell.
/// </summary>
internal static class BenchVerb
{
    public static Command Create()
    {
        var d = new BenchOptions();
        // gru = PyTorch's GRU (linear before reset), gru_rbl the original one; an unknown cell exits 4 (the protocol's "unsupported").
        var cell = CliCell.Option(extraChoices: BenchOptions.ProtocolOnlyCells, rejectUnknown: false);
        var mode = OneOf("--mode", "infer (forward) or train (training forward + full backward)", d.Mode, "infer", "train");
        var t = Ranged("--T", "time steps", d.T, 1, CliLimits.MaxSteps);
        var n = Ranged("--N", "batch size", d.N, 1, CliLimits.MaxBatch);
        var i = Ranged("--I", "input size", d.I, 1, CliLimits.MaxWidth);
        var h = Ranged("--H", "hidden size", d.H, 1, CliLimits.MaxWidth);
        var layers = Ranged("--layers", "stacked layers (a layer above the first takes dirs*H inputs)", d.Layers, 1, CliLimits.MaxLayers);
        var dirs = Ranged("--dirs", "directions: 1, or 2 (bidirectional)", d.Dirs, 1, 2);
        var threads = RangedOptional("--threads", "threads (MKL's and MklRnn's side thread; default: every core)", 1, CliLimits.MaxThreads);
        var iters = Ranged("--iters", "at least this many timed iterations", d.Iters, 1, 1_000_000);
        var warmup = Ranged("--warmup", "untimed iterations first (at least one runs)", d.Warmup, 0, 1_000_000);
        var minTime = Ranged("--min-time", "keep timing until this many seconds passed (max 1000 iterations)", d.MinTime, 0.0, 3600.0);
        var shape = WithDefault("--shape", "shape id echoed in the RESULT line (S1..S7)", d.Shape);
        var json = new Option<bool>("--json") { Description = "also print the RESULT {json} line" };
        var lengths = OneOf("--lengths", "full (all T steps) or uniform (lengths uniform in [T/4, T], seeded)", d.Lengths, "full", "uniform");
        var precision = OneOf("--precision", "inference GEMMs (infer only; no GEMM-only run below f32)", d.Precision, "f32", "bf16", "int8");
        var noGemmOnly = new Option<bool>("--no-gemm-only") { Description = "skip the GEMM-only measurement" };
        var engine = OneOf("--engine", "mklrnn, or onnxruntime (the same stack exported to ONNX, run by ONNX Runtime in-process)", d.Engine, "mklrnn", "onnxruntime");

        var command = new Command("bench",
            "Time one RNN/LSTM/GRU shape in the anchors harness protocol (median ms, GFLOP/s, GEMM-only time); "
            + "exit 2 on bad options, 3 on implausible outputs, 4 on an unsupported cell.")
        {
            cell, mode, t, n, i, h, layers, dirs, threads, iters, warmup, minTime, shape, json, lengths, precision, noGemmOnly, engine,
        };
        command.SetAction(parse => BenchRunner.Run(new BenchOptions
        {
            Cell = parse.GetValue(cell)!,
            Mode = parse.GetValue(mode)!,
            T = parse.GetValue(t),
            N = parse.GetValue(n),
            I = parse.GetValue(i),
            H = parse.GetValue(h),
            Layers = parse.GetValue(layers),
            Dirs = parse.GetValue(dirs),
            Threads = parse.GetValue(threads) ?? d.Threads,
            Iters = parse.GetValue(iters),
            Warmup = parse.GetValue(warmup),
            MinTime = parse.GetValue(minTime),
            Shape = parse.GetValue(shape)!,
            Json = parse.GetValue(json),
            Lengths = parse.GetValue(lengths)!,
            Precision = parse.GetValue(precision)!,
            NoGemmOnly = parse.GetValue(noGemmOnly),
            Engine = parse.GetValue(engine)!,
        }, parse.InvocationConfiguration.Output));
        return command;
    }
}
