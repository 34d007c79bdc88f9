using MklRnn.Layers.StepLoops;
using MklRnn.Threading;
using MklRnn.Interop;
using MklRnn.Layers;

namespace MklRnn.Tests.Layers.StepLoops;

/// <summary>The small-batch latency path (hidden columns split over two threads) computes what the general path computes.</summary>
public class ColumnSplitTests
{
    [Theory]
    [InlineData(CellKind.Lstm, 1, 20)]
    [InlineData(CellKind.Lstm, 3, 37)]
    [InlineData(CellKind.Gru, 2, 20)]
    [InlineData(CellKind.RnnTanh, 4, 24)]
    [InlineData(CellKind.RnnRelu, 1, 17)]
    public void MatchesTheGeneralPath(CellKind cell, int batch, int hidden) => AssertSplitMatchesGeneral(cell, batch, hidden);

    /// <summary>
    /// With MKL limited to one thread there is no team to borrow, so the pair is this thread and the
    /// side thread (ThreadPair's fallback); the split still matches the general path.
    /// </summary>
    [Theory]
    [InlineData(CellKind.Lstm, 3, 37)]
    [InlineData(CellKind.Gru, 2, 20)]
    [InlineData(CellKind.RnnTanh, 4, 24)]
    public void MatchesTheGeneralPathOnTheSideThreadWhenMklHasOneThread(CellKind cell, int batch, int hidden)
    {
        using (MklLocalThreads.Set(1))
        {
            Assert.False(ThreadPair.UsesTeam);
            AssertSplitMatchesGeneral(cell, batch, hidden);
        }
    }

    private static void AssertSplitMatchesGeneral(CellKind cell, int batch, int hidden)
    {
        var config = new RnnConfig(cell, 6, hidden, numLayers: 2);
        using var split = new RecurrentStack(config, seed: 2) { UseSideThread = true };
        using var general = new RecurrentStack(config, seed: 2) { UseSideThread = false };
        const int T = 7;
        var rng = new Random(5);
        float[] x = TestValues.Rand(rng, T * batch * 6);
        float[] h0 = TestValues.Rand(rng, 2 * batch * hidden);
        float[] c0 = cell == CellKind.Lstm ? TestValues.Rand(rng, h0.Length) : [];
        var (y1, h1) = (new float[T * batch * hidden], new float[h0.Length]);
        var (y2, h2) = (new float[y1.Length], new float[h0.Length]);
        for (int repeat = 0; repeat < 2; repeat++) // the second run reuses packed panels and buffers
        {
            split.Forward(x, T, batch, y1, h0, c0, h1);
            general.Forward(x, T, batch, y2, h0, c0, h2);
            Assert.Equal(StepLoopKind.ColumnSplit, split.LastForwardLoop);
            Assert.Equal(StepLoopKind.Serial, general.LastForwardLoop);
            Assert.Equal(y2, y1, new ToleranceComparer(2e-5f));
            Assert.Equal(h2, h1, new ToleranceComparer(2e-5f));
        }
        // Weights changed: the panels are rebuilt.
        split.Parameters[1].Data[3] += 0.5f;
        general.Parameters[1].Data[3] += 0.5f;
        split.Forward(x, T, batch, y1, h0, c0, h1);
        general.Forward(x, T, batch, y2, h0, c0, h2);
        Assert.Equal(y2, y1, new ToleranceComparer(2e-5f));
    }
}
