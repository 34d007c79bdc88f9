using BenchmarkDotNet.Attributes;
using MklRnn.Core;
using MklRnn.Cli.Bench;
using MklRnn.Memory;

namespace MklRnn.Perf;

/// <summary>
/// The LSTM GEMMs at S1 (N = 64, I = 512) for H = 512 and the awkward H = 391: one recurrent step
/// (64 x 4H x H) as plain cblas_sgemm and as packed compute (weights packed once, as the engine does),
/// and the input projection of all 50 steps at once (3200 x 4H x 512).
/// </summary>
[BenchmarkCategory("Gemm")]
public unsafe class GemmBenchmarks
{
    private const int T = 50, N = 64, I = 512;
    private NativeBuffer _h = null!, _x = null!, _whh = null!, _wih = null!, _gates = null!;
    private PackedWeights _packed = null!;

    [Params(512, 391)]
    public int H { get; set; }

    private int GH => 4 * H;

    [GlobalSetup]
    public void Setup()
    {
        PerfSetup.UseAllCores();
        _h = BenchInputs.Filled(N * H, BenchInputs.Seed + 1);
        _x = BenchInputs.Filled(T * N * I, BenchInputs.Seed + 2);
        _whh = BenchInputs.Filled(GH * H, BenchInputs.Seed + 3);
        _wih = BenchInputs.Filled(GH * I, BenchInputs.Seed + 4);
        _gates = BenchInputs.Filled(T * N * GH, BenchInputs.Seed + 5);
        _packed = new PackedWeights();
        _packed.Pack(_whh.Pointer, GH, H, H, transposed: true, maxM: N, sourceVersion: 0);
    }

    [Benchmark(Baseline = true, Description = "step sgemm 64 x 4H x H")]
    public void StepSgemm() =>
        Gemm.Multiply(m: N, n: GH, k: H, Matrix.Of(_h.Pointer, H), Matrix.Of(_whh.Pointer, H).T,
            Matrix.Of(_gates.Pointer, GH), beta: 1f);

    [Benchmark(Description = "step packed compute 64 x 4H x H")]
    public void StepPacked() => _packed.Multiply(N, _h.Pointer, H, 1f, _gates.Pointer, GH);

    [Benchmark(Description = "input projection 3200 x 4H x 512")]
    public void InputProjection() =>
        Gemm.Multiply(m: T * N, n: GH, k: I, Matrix.Of(_x.Pointer, I), Matrix.Of(_wih.Pointer, I).T,
            Matrix.Of(_gates.Pointer, GH));

    [GlobalCleanup]
    public void Cleanup()
    {
        _packed.Dispose();
        foreach (NativeBuffer b in new[] { _h, _x, _whh, _wih, _gates }) b.Dispose();
    }
}
