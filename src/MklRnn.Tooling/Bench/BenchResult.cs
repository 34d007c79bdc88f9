using System.Globalization;
using System.Text;
using System.Text.Json;

namespace MklRnn.Tooling.Bench;

/// <summary>
/// What one bench run measured, as the harness's <c>RESULT {json}</c> line (the keys the other engines print,
/// plus gemm_only_ms and the share of time outside GEMM) and as one human-readable line.
/// </summary>
public sealed record BenchResult(BenchOptions Options, int Threads, long Rows, double Flops, Timing Engine, Timing? GemmOnly,
    string MklVersion)
{
    /// <summary>The engine timed: "mklrnn" or "onnxruntime".</summary>
    /// <remarks>Reduced precision carries its precision in the name ("mklrnn-bf16"), as the harness's "onednn-bf16" does, so its rows do not replace the f32 ones.</remarks>
    public string EngineName => Options.Precision == "f32" ? Options.Engine : $"{Options.Engine}-{Options.Precision}";

    /// <summary>
    /// How the engine ran the recurrent steps: "mkl" (packed MKL GEMM per step), "batch-split" (each half of the
    /// batch on its own thread, MKL single-threaded; gemm-only splits the same way), or "column-split" (small-batch
    /// inference: fused GEMV + gate kernels on two threads, so gemm_only_ms times MKL GEMMs the engine skips).
    /// </summary>
    public string StepPath { get; init; } = "mkl";

    /// <summary>The MKL vendor override's state and why (<see cref="Interop.NativeLoader.IntelCpuOverrideReason"/>): MKL's speed on AMD depends on it.</summary>
    public string IntelCpuOverride { get; init; } = "";

    /// <summary>Reduced precision: max and mean |output - the same stack's float32 output| on the benchmark input.</summary>
    public (double Max, double Mean)? ErrorVsFloat32 { get; init; }

    /// <summary>The shim's kernel ISA (avx512, avx2, scalar), the harness's "isa".</summary>
    public string KernelIsa { get; init; } = "";

    public double Gflops => Flops / (Engine.MedianMs * 1e-3) * 1e-9;

    /// <summary>Share of the engine's median time not spent in the same GEMMs (null without a GEMM-only run; below 0 only through noise).</summary>
    public double? OutsideGemmShare => GemmOnly is Timing g ? 1 - g.MedianMs / Engine.MedianMs : null;

    public string ToHumanLine()
    {
        var o = Options;
        var line = new StringBuilder(string.Create(CultureInfo.InvariantCulture, $"{EngineName} {o.ProtocolCell,-8} {o.Mode,-5} T={o.T} N={o.N} I={o.I} H={o.H} L={o.Layers} D={o.Dirs} thr={Threads}"));
        if (o.Precision != "f32") line.Append(CultureInfo.InvariantCulture, $" precision={o.Precision}");
        if (o.Lengths != "full") line.Append(CultureInfo.InvariantCulture, $" lengths={o.Lengths} rows={Rows}");
        line.Append(CultureInfo.InvariantCulture, $"  median {Engine.MedianMs,9:0.000} ms  min {Engine.MinMs,9:0.000} ms  {Gflops,7:0.0} GFLOP/s  ({Engine.Iterations} iters)");
        if (GemmOnly is Timing g)
            line.Append(CultureInfo.InvariantCulture, $"  gemm-only {g.MedianMs:0.000} ms ({OutsideGemmShare * 100:0}% outside GEMM)");
        if (ErrorVsFloat32 is var (max, mean))
            line.Append(CultureInfo.InvariantCulture, $"  max|y-y_f32| {max:g3} mean {mean:g3}");
        return line.ToString();
    }

    public string ToResultLine()
    {
        var o = Options;
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream))
        {
            json.WriteStartObject();
            json.WriteString("engine", EngineName);
            json.WriteString("cell", o.ProtocolCell);
            json.WriteString("mode", o.Mode);
            json.WriteString("shape", o.Shape);
            json.WriteNumber("T", o.T);
            json.WriteNumber("N", o.N);
            json.WriteNumber("I", o.I);
            json.WriteNumber("H", o.H);
            json.WriteNumber("layers", o.Layers);
            json.WriteNumber("dirs", o.Dirs);
            json.WriteNumber("threads", Threads);
            json.WriteNumber("median_ms", Math.Round(Engine.MedianMs, 4));
            json.WriteNumber("min_ms", Math.Round(Engine.MinMs, 4));
            json.WriteNumber("gflops", Math.Round(Gflops, 2));
            json.WriteNumber("iters", Engine.Iterations);
            json.WriteNumber("gflop_per_iter", Math.Round(Flops * 1e-9, 4));
            json.WriteString("lengths", o.Lengths);
            json.WriteNumber("rows", Rows);
            if (GemmOnly is Timing g)
            {
                json.WriteNumber("gemm_only_ms", Math.Round(g.MedianMs, 4));
                json.WriteNumber("gemm_only_min_ms", Math.Round(g.MinMs, 4));
                json.WriteNumber("outside_gemm_share", Math.Round(OutsideGemmShare!.Value, 4));
            }
            json.WriteString("step_path", StepPath);
            json.WriteString("impl", StepPath);
            if (KernelIsa.Length > 0) json.WriteString("isa", KernelIsa);
            if (ErrorVsFloat32 is var (max, mean))
            {
                json.WriteNumber("max_abs_err_vs_f32", max);
                json.WriteNumber("mean_abs_err_vs_f32", mean);
            }
            json.WriteString("precision", o.Precision);
            json.WriteString("mkl_version", MklVersion);
            json.WriteString("mkl_intel_cpu_override", IntelCpuOverride);
            json.WriteEndObject();
        }
        return "RESULT " + Encoding.UTF8.GetString(stream.ToArray());
    }
}
