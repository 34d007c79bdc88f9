using MklRnn.Layers;
using static MklRnn.Tests.Precision.Int8Reference;
using P = MklRnn.Precision;

namespace MklRnn.Tests.Precision;

/// <summary>
/// The int8 GRU (linear before reset) forward against the scalar arithmetic of docs/precision.md (Int8Reference):
/// h0 quantized on its own range at step 0; from step 1 on, when h0 lies in [-1, 1], h's codes on the fixed [-1, 1]
/// grid (h_t is then a convex combination of values in [-1, 1]), which the engine's step kernel writes as it computes
/// h; otherwise each step's h on its own range. A code off by one moves a gate by ~|w| / 127, far above the tolerance.
/// </summary>
public class Int8GruReferenceTests
{
    [Theory]
    [InlineData(1f, false, 3)]
    [InlineData(1f, false, 16)] // each step makes its own input product
    [InlineData(1f, true, 16)]  // the batch split: both halves on the whole batch's h0 range, then the fixed grid
    [InlineData(3f, false, 3)]  // h0 beyond [-1, 1]: every step on h's own range
    [InlineData(3f, false, 16)]
    public void Int8GruMatchesTheScalarReference(float h0Scale, bool twoThreads, int N)
    {
        const int T = 6, I = 5, H = 24;
        var config = new RnnConfig(CellKind.Gru, I, H);
        using var stack = new RecurrentStack(config, seed: 13) { UseSideThread = twoThreads };
        stack.PrepareInference(P.Int8);
        var rng = new Random(6);
        float[] x = Uniform(rng, T * N * I, -2, 2);
        float[] h0 = Uniform(rng, N * H, -h0Scale, h0Scale);
        var y = new float[T * N * H];
        stack.Forward(x, T, N, y, h0);
        AssertMatches(y, Reference(stack, x, h0, T, N, I, H), "int8 GRU");
    }

    private static double[] Reference(RecurrentStack stack, float[] x, float[] h0, int T, int N, int I, int H)
    {
        var (wIh, sIh) = QuantizeWeights(stack["weight_ih_l0"].Values.ToArray(), 3 * H, I);
        var (wHh, sHh) = QuantizeWeights(stack["weight_hh_l0"].Values.ToArray(), 3 * H, H);
        float[] bIh = stack["bias_ih_l0"].Values.ToArray(), bHh = stack["bias_hh_l0"].Values.ToArray();
        var (qx, xScale, xZero) = QuantizeActivations(x, Range(x));
        var (qh, hScale, hZero) = QuantizeActivations(h0, Range(h0));
        bool bounded = h0.All(v => v >= -1f && v <= 1f);
        double[] h = h0.Select(v => (double)v).ToArray();
        var y = new double[T * N * H];
        for (int t = 0; t < T; t++)
        {
            var hNew = new double[N * H];
            for (int r = 0; r < N; r++)
                for (int u = 0; u < H; u++)
                {
                    var gx = new double[3];
                    var gh = new double[3];
                    for (int k = 0; k < 3; k++) // PyTorch's gate order: r, z, n
                    {
                        int j = k * H + u;
                        gx[k] = Dequantize(Dot(qx, (t * N + r) * I, wIh, j * I, I), xZero, ColSum(wIh, j, I), xScale, sIh[j]) + (double)bIh[j];
                        gh[k] = Dequantize(Dot(qh, r * H, wHh, j * H, H), hZero, ColSum(wHh, j, H), hScale, sHh[j]) + (double)bHh[j];
                    }
                    double rg = Sigmoid(gx[0] + gh[0]), z = Sigmoid(gx[1] + gh[1]), n = Math.Tanh(gx[2] + rg * gh[2]);
                    hNew[r * H + u] = (1 - z) * n + z * h[r * H + u];
                    y[(t * N + r) * H + u] = hNew[r * H + u];
                }
            h = hNew;
            float[] hf = h.Select(v => (float)v).ToArray();
            (qh, hScale, hZero) = bounded ? QuantizeActivations(hf, (-1f, 1f), fixedUnitRange: true) : QuantizeActivations(hf, Range(hf));
        }
        return y;
    }
}
