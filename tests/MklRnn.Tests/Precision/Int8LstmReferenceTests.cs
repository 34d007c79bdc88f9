using MklRnn.Layers;
using static MklRnn.Tests.Precision.Int8Reference;
using P = MklRnn.Precision;

namespace MklRnn.Tests.Precision;

/// <summary>
/// The int8 LSTM forward against an independent scalar implementation of the arithmetic docs/precision.md
/// specifies, written from the description, not from the engine: weights int8 per output channel (scale
/// max|w| / 127, round to nearest even), the input projection's activations u8 with one range for all rows,
/// h0 with its own range at step 0, and from step 1 on h's fixed range [-1, 1] (scale 1 / 127, zero point 128),
/// which the engine's step kernel writes as it computes h; exact int32 products, dequantization
/// (acc - zp * colsum) * (s_a * s_j), then float64 gate math. The int32 parts are exact in both, the rest differs
/// by float rounding (~1e-6), so a wrong scale, zero point or code in any step shows: one code step of h moves a
/// gate by ~|w| / 127.
/// </summary>
public class Int8LstmReferenceTests
{
    /// <summary>N = 3 projects the input of all steps at once; N = 16 (ReducedPrecisionCell.StepProductsMinRows) has each step make its own rows' product.</summary>
    [Theory]
    [InlineData(false, false, 3)]
    [InlineData(true, false, 3)]
    [InlineData(true, true, 3)]
    [InlineData(true, false, 16)]
    [InlineData(true, true, 16)]
    public void Int8LstmMatchesTheScalarReference(bool withInitialState, bool twoThreads, int N)
    {
        const int T = 7, I = 5, H = 24;
        var config = new RnnConfig(CellKind.Lstm, I, H);
        using var stack = new RecurrentStack(config, seed: 11) { UseSideThread = twoThreads };
        stack.PrepareInference(P.Int8);
        var rng = new Random(5);
        float[] x = Uniform(rng, T * N * I, -2, 2);
        // h0 beyond [-1, 1]: step 0 must take its own range, not the fixed one
        float[] h0 = withInitialState ? Uniform(rng, N * H, -3, 3) : new float[N * H];
        float[] c0 = withInitialState ? Uniform(rng, N * H, -1, 1) : new float[N * H];
        var y = new float[T * N * H];
        stack.Forward(x, T, N, y, h0, c0);
        AssertMatches(y, Reference(stack, x, h0, c0, T, N, I, H), "int8 LSTM");
    }

    private static double[] Reference(RecurrentStack stack, float[] x, float[] h0, float[] c0, int T, int N, int I, int H)
    {
        var (wIh, sIh) = QuantizeWeights(stack["weight_ih_l0"].Values.ToArray(), 4 * H, I);
        var (wHh, sHh) = QuantizeWeights(stack["weight_hh_l0"].Values.ToArray(), 4 * H, H);
        float[] bIh = stack["bias_ih_l0"].Values.ToArray(), bHh = stack["bias_hh_l0"].Values.ToArray();
        var (qx, xScale, xZero) = QuantizeActivations(x, Range(x));
        var (qh, hScale, hZero) = QuantizeActivations(h0, Range(h0));
        var h = new double[N * H];
        double[] c = c0.Select(v => (double)v).ToArray();
        var y = new double[T * N * H];
        for (int t = 0; t < T; t++)
        {
            var hNew = new double[N * H];
            for (int r = 0; r < N; r++)
                for (int u = 0; u < H; u++)
                {
                    var pre = new double[4];
                    for (int k = 0; k < 4; k++)
                    {
                        int j = k * H + u;
                        float gx = Dequantize(Dot(qx, (t * N + r) * I, wIh, j * I, I), xZero, ColSum(wIh, j, I), xScale, sIh[j]);
                        float gh = Dequantize(Dot(qh, r * H, wHh, j * H, H), hZero, ColSum(wHh, j, H), hScale, sHh[j]);
                        pre[k] = (double)gx + gh + bIh[j] + bHh[j];
                    }
                    double ig = Sigmoid(pre[0]), fg = Sigmoid(pre[1]), gg = Math.Tanh(pre[2]), og = Sigmoid(pre[3]);
                    c[r * H + u] = fg * c[r * H + u] + ig * gg;
                    hNew[r * H + u] = og * Math.Tanh(c[r * H + u]);
                    y[(t * N + r) * H + u] = hNew[r * H + u];
                }
            h = hNew;
            // from step 1 on: h in [-1, 1], the fixed range
            (qh, hScale, hZero) = QuantizeActivations(h.Select(v => (float)v).ToArray(), (-1f, 1f), fixedUnitRange: true);
        }
        return y;
    }
}
