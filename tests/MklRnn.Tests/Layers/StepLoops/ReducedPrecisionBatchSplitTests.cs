using MklRnn.Interop;
using MklRnn.Layers;
using MklRnn.Layers.StepLoops;
using MklRnn.Threading;
using P = MklRnn.Precision;

namespace MklRnn.Tests.Layers.StepLoops;

/// <summary>
/// The reduced-precision batch split (two threads, each every step of half the batch) against the one-thread loop on
/// the same stack. bf16 rounds element-wise, and int8 LSTM / tanh-RNN steps (and GRU steps from an h0 in [-1, 1]) read
/// fixed-range codes after step 0, whose codes both halves take on the whole batch's h0 range
/// (ReducedPrecisionCell.StartSequence): those must match bit for bit. The other int8 cells (and a GRU from an h0
/// beyond [-1, 1]) quantize each step's h with its own range, per half here, so they only stay close.
/// </summary>
public class ReducedPrecisionBatchSplitTests
{
    [Theory]
    [InlineData(P.BFloat16, CellKind.Lstm, false)]
    [InlineData(P.BFloat16, CellKind.Gru, true)]
    [InlineData(P.BFloat16, CellKind.RnnRelu, false)]
    [InlineData(P.Int8, CellKind.Lstm, false)]
    [InlineData(P.Int8, CellKind.Lstm, true)]
    [InlineData(P.Int8, CellKind.RnnTanh, true)]
    [InlineData(P.Int8, CellKind.Gru, true)]
    public void MatchesTheOneThreadLoopBitForBit(P precision, CellKind cell, bool lengths) =>
        Compare(new RnnConfig(cell, 6, 20, numLayers: 2), precision, lengths, exact: true);

    [Theory]
    [InlineData(CellKind.Gru, 3f)] // h0 beyond [-1, 1]: a GRU's h is not bounded, every step takes its own range
    [InlineData(CellKind.RnnRelu, 1f)]
    public void Int8CellsWithPerStepRangesStayClose(CellKind cell, float h0Scale) =>
        Compare(new RnnConfig(cell, 6, 20, numLayers: 2), P.Int8, lengths: true, exact: false, h0Scale);

    [Fact]
    public void Int8OriginalGruStaysClose() =>
        Compare(new RnnConfig(CellKind.Gru, 6, 20, numLayers: 2) { LinearBeforeReset = false }, P.Int8, lengths: true, exact: false);

    [Fact]
    public void Int8LstmWithProjectionStaysClose() =>
        Compare(new RnnConfig(CellKind.Lstm, 6, 20) { ProjSize = 7 }, P.Int8, lengths: false, exact: false);

    private static void Compare(RnnConfig config, P precision, bool lengths, bool exact, float h0Scale = 1f)
    {
        using var mkl = MklLocalThreads.Set(2); // the split runs on MKL's team
        Assert.True(ThreadPair.UsesTeam, "the batch split needs MKL on two or more threads");
        const int T = 7, N = 16;
        using var split = new RecurrentStack(config, seed: 3) { UseSideThread = true };
        using var serial = new RecurrentStack(config, seed: 3) { UseSideThread = false };
        split.PrepareInference(precision);
        serial.PrepareInference(precision);
        var rng = new Random(8);
        float[] x = TestValues.Rand(rng, T * N * 6);
        int S = config.NumLayers, Hout = config.OutputHiddenSize;
        float[] h0 = TestValues.Rand(rng, S * N * Hout).Select(v => v * h0Scale).ToArray();
        float[] c0 = config.Cell == CellKind.Lstm ? TestValues.Rand(rng, S * N * config.HiddenSize) : [];
        int[] lens = lengths ? [7, 7, 6, 6, 5, 5, 5, 4, 4, 3, 3, 2, 2, 1, 1, 1] : [];
        var (y1, y2) = (new float[T * N * config.OutputSize], new float[T * N * config.OutputSize]);
        var (h1, h2) = (new float[h0.Length], new float[h0.Length]);
        for (int repeat = 0; repeat < 2; repeat++) // the second run reuses the reduced weights and buffers
        {
            split.Forward(x, T, N, y1, h0, c0, h1, lengths: lens);
            serial.Forward(x, T, N, y2, h0, c0, h2, lengths: lens);
            Assert.Equal(StepLoopKind.ReducedPrecisionBatchSplit, split.LastForwardLoop);
            Assert.Equal(StepLoopKind.ReducedPrecision, serial.LastForwardLoop);
            if (exact)
            {
                Assert.Equal(y2, y1);
                Assert.Equal(h2, h1);
            }
            else
            {
                // Each is within ~1e-2 of float32 on these shapes (docs/precision.md), so of each other.
                float worst = y1.Zip(y2, (a, b) => Math.Abs(a - b)).Max();
                Assert.True(worst < 0.05f, $"split vs one-thread int8: max |dy| {worst}");
            }
        }
    }
}
