using System.CommandLine;
using MklRnn.Cli.Bench;
using static MklRnn.Cli.CliOption;

namespace MklRnn.Cli;

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
        var cell = WithDefault("--cell", "lstm | gru (PyTorch's, linear before reset) | rnn_tanh (also gru_rbl, rnn_relu)", d.Cell);
        var mode = WithDefault("--mode", "infer (forward) | train (training forward + full backward)", d.Mode);
        var t = WithDefault("--T", "time steps", d.T);
        var n = WithDefault("--N", "batch size", d.N);
        var i = WithDefault("--I", "input size", d.I);
        var h = WithDefault("--H", "hidden size", d.H);
        var layers = WithDefault("--layers", "stacked layers (a layer above the first takes dirs*H inputs)", d.Layers);
        var dirs = WithDefault("--dirs", "directions: 1, or 2 (bidirectional)", d.Dirs);
        var threads = WithDefault("--threads", "threads (MKL's and MklRnn's side thread)", d.Threads);
        var iters = WithDefault("--iters", "at least this many timed iterations", d.Iters);
        var warmup = WithDefault("--warmup", "untimed iterations first (at least one runs)", d.Warmup);
        var minTime = WithDefault("--min-time", "keep timing until this many seconds passed (max 1000 iterations)", d.MinTime);
        var shape = WithDefault("--shape", "shape id echoed in the RESULT line (S1..S7)", d.Shape);
        var json = new Option<bool>("--json") { Description = "also print the RESULT {json} line" };
        var lengths = WithDefault("--lengths", "full (all T steps) | uniform (lengths uniform in [T/4, T], seeded)", d.Lengths);
        var precision = WithDefault("--precision", "inference GEMMs: f32 | bf16 | int8 (infer only; no GEMM-only run below f32)", d.Precision);
        var noGemmOnly = new Option<bool>("--no-gemm-only") { Description = "skip the GEMM-only measurement" };
        var engine = WithDefault("--engine", "mklrnn | onnxruntime (the same stack exported to ONNX, run by ONNX Runtime in-process)", d.Engine);

        var command = new Command("bench",
            "Time one RNN/LSTM/GRU shape in the anchors harness protocol (median ms, GFLOP/s, GEMM-only time); "
            + "exit 2 on bad options, 4 on an unsupported cell.")
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
            Threads = parse.GetValue(threads),
            Iters = parse.GetValue(iters),
            Warmup = parse.GetValue(warmup),
            MinTime = parse.GetValue(minTime),
            Shape = parse.GetValue(shape)!,
            Json = parse.GetValue(json),
            Lengths = parse.GetValue(lengths)!,
            Precision = parse.GetValue(precision)!,
            NoGemmOnly = parse.GetValue(noGemmOnly),
            Engine = parse.GetValue(engine)!,
        }, parse.InvocationConfiguration.Output, parse.InvocationConfiguration.Error));
        return command;
    }
}
