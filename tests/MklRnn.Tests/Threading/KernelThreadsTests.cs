using System.Runtime.Intrinsics.X86;
using MklRnn.Interop;
using MklRnn.Layers;

namespace MklRnn.Tests.Threading;

/// <summary>
/// The shim's kernel choice and kernel threads as the engine uses them: the reported ISA follows the
/// CPU, a unidirectional layer splits large element-wise blocks over MKL's thread count and gives the
/// same results as one thread, and the calling thread's setting is restored afterwards.
/// </summary>
public class KernelThreadsTests
{
    [Fact]
    public void KernelIsaFollowsTheCpu()
    {
        bool avx512 = Avx512F.IsSupported && Avx512DQ.IsSupported && Avx512BW.IsSupported && Avx512F.VL.IsSupported;
        bool avx2 = Avx2.IsSupported && Fma.IsSupported;
        string expected = Environment.GetEnvironmentVariable("MKLRNN_FORCE_SCALAR") == "1" ? "scalar"
            : avx512 && Environment.GetEnvironmentVariable("MKLRNN_FORCE_AVX2") != "1" ? "avx512"
            : avx2 ? "avx2" : "scalar";
        Assert.Equal(expected, NativeLoader.KernelIsa);
    }

    [Theory]
    [InlineData(CellKind.Lstm)]
    [InlineData(CellKind.Gru)]
    [InlineData(CellKind.RnnTanh)]
    public void SplitRowsMatchOneThreadAndRestoreTheSetting(CellKind cell)
    {
        // N * G * H = 64 * G * 256 >= MKLRNN_PARALLEL_MIN_ELEMENTS (16384) for every cell: the kernels split.
        const int T = 4, N = 64, I = 24, H = 256;
        var config = new RnnConfig(cell, I, H);
        using var stack = new RecurrentStack(config, seed: 3);
        var rng = new Random(9);
        float[] x = TestValues.Rand(rng, T * N * I);
        float[] dy = TestValues.Rand(rng, T * N * H);
        var (ySplit, dxSplit) = (new float[T * N * H], new float[x.Length]);
        var (yOne, dxOne) = (new float[T * N * H], new float[x.Length]);
        NativeLoader.EnsureLoaded();
        int before = NativeShim.GetKernelThreads();

        stack.ZeroGrad();
        stack.Forward(x, T, N, ySplit, training: true);
        stack.Backward(dy, dxSplit);
        Assert.Equal(before, NativeShim.GetKernelThreads());
        float[] gradSplit = stack.Parameters[1].Grad.ToArray();

        // MKL limited to one thread on this thread: the engine then asks the kernels for one thread too.
        using (MklLocalThreads.Set(1))
        {
            stack.ZeroGrad();
            stack.Forward(x, T, N, yOne, training: true);
            stack.Backward(dy, dxOne);
        }
        float[] gradOne = stack.Parameters[1].Grad.ToArray();
        // Not bitwise: MKL's GEMMs may sum in another order with another thread count.
        var close = new ToleranceComparer(2e-5f);
        Assert.Equal(yOne, ySplit, close);
        Assert.Equal(dxOne, dxSplit, close);
        Assert.Equal(gradOne, gradSplit, new ToleranceComparer(1e-4f));
        Assert.Contains(ySplit, v => v != 0f);
    }

    [Fact]
    public void SteppedCallsRestoreTheSetting()
    {
        const int N = 64, I = 8, H = 128; // 64 * 4 * 128 elements: the LSTM kernels split
        using var stack = new RecurrentStack(new RnnConfig(CellKind.Lstm, I, H), seed: 4);
        var rng = new Random(2);
        float[] x = TestValues.Rand(rng, N * I);
        var (y, dy, dx) = (new float[N * H], TestValues.Rand(rng, N * H), new float[N * I]);
        NativeLoader.EnsureLoaded();
        int before = NativeShim.GetKernelThreads();
        stack.BeginSteps(N, maxSteps: 2, training: true);
        stack.Step(x, y);
        stack.Step(x, y);
        Assert.Equal(before, NativeShim.GetKernelThreads());
        stack.BeginStepsBackward();
        stack.BackwardStep(dy, dx);
        stack.BackwardStep(dy, dx);
        stack.EndStepsBackward();
        Assert.Equal(before, NativeShim.GetKernelThreads());
        Assert.Contains(dx, v => v != 0f);
    }
}
