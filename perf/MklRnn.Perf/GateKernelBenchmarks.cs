using BenchmarkDotNet.Attributes;
using MklRnn.Interop;
using MklRnn.Tooling.Bench;
using MklRnn.Memory;

namespace MklRnn.Perf;

/// <summary>
/// The fused element-wise step kernels of the C shim (vectorised, dispatched) against a scalar managed reference,
/// at the S1 step shape (N = 64) for H = 512 and the awkward H = 391. The kernels overwrite their gate input with
/// activations, so repeated calls see values in [0, 1]; b_hh is zero so the GRU's gh += b_hh leaves gh unchanged.
/// </summary>
[BenchmarkCategory("GateKernel")]
public unsafe class GateKernelBenchmarks
{
    private const int N = 64;
    private NativeBuffer _gates = null!, _gh = null!, _bIh = null!, _bHh = null!, _c = null!, _h = null!, _hPrev = null!;

    [Params(512, 391)]
    public int H { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        NativeLoader.EnsureLoaded();
        _gates = BenchInputs.Filled(N * 4 * H, BenchInputs.Seed + 1);
        _gh = BenchInputs.Filled(N * 3 * H, BenchInputs.Seed + 2);
        _bIh = BenchInputs.Filled(4 * H, BenchInputs.Seed + 3);
        _bHh = new NativeBuffer(4 * H);
        _bHh.Clear();
        _c = BenchInputs.Filled(N * H, BenchInputs.Seed + 4);
        _h = BenchInputs.Filled(N * H, BenchInputs.Seed + 5);
        _hPrev = BenchInputs.Filled(N * H, BenchInputs.Seed + 6);
    }

    [Benchmark(Baseline = true, Description = "LSTM gates, scalar C#")]
    [BenchmarkCategory("Lstm")]
    public void LstmManaged() =>
        ScalarGateReference.LstmForward(N, H, _gates.Pointer, _bIh.Pointer, _bHh.Pointer, _c.Pointer, _h.Pointer);

    [Benchmark(Description = "LSTM gates, native")]
    [BenchmarkCategory("Lstm")]
    public void LstmNative() =>
        Status.ThrowIfFailed(NativeShim.LstmForward(N, H, _gates.Pointer, 4 * H, _bIh.Pointer, _bHh.Pointer, null,
            _c.Pointer, H, _c.Pointer, H, _h.Pointer, H, null, 0), "mklrnn_lstm_forward");

    [Benchmark(Description = "GRU gates, scalar C#")]
    [BenchmarkCategory("Gru")]
    public void GruManaged() =>
        ScalarGateReference.GruForward(N, H, _gates.Pointer, _gh.Pointer, _bIh.Pointer, _bHh.Pointer, _hPrev.Pointer, _h.Pointer);

    [Benchmark(Description = "GRU gates, native")]
    [BenchmarkCategory("Gru")]
    public void GruNative() =>
        Status.ThrowIfFailed(NativeShim.GruForward(N, H, _gates.Pointer, 3 * H, _gh.Pointer, 3 * H, _bIh.Pointer, _bHh.Pointer,
            _hPrev.Pointer, H, _h.Pointer, H, null, 0), "mklrnn_gru_forward");

    [GlobalCleanup]
    public void Cleanup()
    {
        foreach (NativeBuffer b in new[] { _gates, _gh, _bIh, _bHh, _c, _h, _hPrev }) b.Dispose();
    }
}
