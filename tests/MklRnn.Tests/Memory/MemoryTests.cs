using MklRnn.Layers;
using MklRnn.Memory;

namespace MklRnn.Tests.Memory;

/// <summary>Work buffers are pooled: steady-state calls allocate no managed memory, and disposal returns everything.</summary>
public class MemoryTests
{
    [Theory]
    [InlineData(CellKind.Lstm, false, false)]
    [InlineData(CellKind.Gru, true, false)]
    [InlineData(CellKind.RnnTanh, false, true)]
    public void SteadyStateForwardAllocatesNoManagedMemory(CellKind cell, bool lengths, bool batchFirst)
    {
        using var stack = new RecurrentStack(new RnnConfig(cell, 8, 16, numLayers: 2) { BatchFirst = batchFirst });
        const int T = 12, N = 5;
        var x = new float[T * N * 8];
        var y = new float[T * N * 16];
        var hN = new float[2 * N * 16];
        int[] lens = lengths ? [12, 3, 7, 12, 1] : [];
        stack.Forward(x, T, N, y, hN: hN, lengths: lens); // first call sizes the workspace
        stack.Forward(x, T, N, y, hN: hN, lengths: lens);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 5; i++) stack.Forward(x, T, N, y, hN: hN, lengths: lens);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(0, allocated);
    }

    [Fact]
    public void SteadyStateTrainingStepAllocatesNoManagedMemory()
    {
        using var stack = new RecurrentStack(new RnnConfig(CellKind.Lstm, 8, 16) { ProjSize = 4 });
        const int T = 6, N = 3;
        var x = new float[T * N * 8];
        var y = new float[T * N * 4];
        var gx = new float[x.Length];
        for (int i = 0; i < 2; i++)
        {
            stack.Forward(x, T, N, y, training: true);
            stack.Backward(y, gx);
        }
        long before = GC.GetAllocatedBytesForCurrentThread();
        stack.Forward(x, T, N, y, training: true);
        stack.Backward(y, gx);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void DisposingAStackReturnsEveryRentedBuffer()
    {
        long rented = NativeBufferPool.RentedCount;
        using (var stack = new RecurrentStack(new RnnConfig(CellKind.Gru, 4, 6, 2, bidirectional: true)))
        {
            stack.Forward(new float[5 * 2 * 4], 5, 2, new float[5 * 2 * 12], training: true);
            stack.Backward(new float[5 * 2 * 12], new float[5 * 2 * 4]);
            Assert.True(NativeBufferPool.RentedCount > rented);
        }
        Assert.Equal(rented, NativeBufferPool.RentedCount);
    }

    [Fact]
    public void BuffersAreAlignedAndDisposalIsIdempotent()
    {
        var buffer = new NativeBuffer(13);
        unsafe
        {
            Assert.Equal(0, (long)buffer.Pointer % NativeBuffer.Alignment);
        }
        Assert.All(buffer.Span.ToArray(), v => Assert.Equal(0f, v));
        buffer.Dispose();
        buffer.Dispose();
        Assert.Throws<ObjectDisposedException>(() => buffer.Span.Length);
    }
}
