using BenchmarkDotNet.Attributes;
using MklRnn.Tooling.Bench;
using MklRnn.Core;
using MklRnn.Memory;

namespace MklRnn.Perf;

/// <summary>
/// The S1 LSTM recurrent step GEMM (64 x 2048 x 512: N x 4H x H) at each precision, weights packed once:
/// float32 packed compute (the baseline), bf16 and int8 as the engine runs them, i.e. including the per-call
/// conversion of A (bf16 rounding, or min/max + u8 quantization) and, for int8, the dequantization.
/// The ratios against the baseline are the ceiling of the reduced-precision engine's speed-up.
/// </summary>
[BenchmarkCategory("Gemm", "Precision")]
public unsafe class LowPrecisionGemmBenchmarks
{
    private const int N = 64, H = 512, GH = 4 * H;
    private NativeBuffer _h = null!, _whh = null!, _gates = null!;
    private PackedWeights _f32 = null!;
    private Bf16Weights _bf16 = null!;
    private Int8Weights _int8 = null!;

    [GlobalSetup]
    public void Setup()
    {
        PerfSetup.UseAllCores();
        _h = BenchInputs.Filled(N * H, BenchInputs.Seed + 1);
        _whh = BenchInputs.Filled(GH * H, BenchInputs.Seed + 3);
        _gates = BenchInputs.Filled(N * GH, BenchInputs.Seed + 5);
        _f32 = new PackedWeights();
        _f32.Pack(_whh.Pointer, GH, H, H, transposed: true, maxM: N, sourceVersion: 0);
        _bf16 = new Bf16Weights("w_hh", _whh.Pointer, GH, H, H, N);
        _int8 = new Int8Weights("w_hh", _whh.Pointer, GH, H, H, N);
    }

    [Benchmark(Baseline = true, Description = "step f32 packed 64 x 2048 x 512")]
    public void StepF32() => _f32.Multiply(N, _h.Pointer, H, 1f, _gates.Pointer, GH);

    [Benchmark(Description = "step bf16 packed 64 x 2048 x 512 (+ conversion)"), BenchmarkPrecision(Precision.BFloat16)]
    public void StepBf16() => _bf16.Multiply(N, _h.Pointer, H, 1f, _gates.Pointer, GH);

    [Benchmark(Description = "step int8 packed 64 x 2048 x 512 (+ quantize, dequantize)"), BenchmarkPrecision(Precision.Int8)]
    public void StepInt8() => _int8.Multiply(N, _h.Pointer, H, 1f, _gates.Pointer, GH);

    [GlobalCleanup]
    public void Cleanup()
    {
        _f32.Dispose();
        _bf16.Dispose();
        _int8.Dispose();
        foreach (NativeBuffer b in new[] { _h, _whh, _gates }) b.Dispose();
    }
}
