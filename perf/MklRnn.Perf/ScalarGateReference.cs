namespace MklRnn.Perf;

/// <summary>
/// Plain scalar C# versions of the shim's LSTM and GRU forward kernels (same inputs, same outputs written,
/// MathF for the non-linearities): the baseline the native kernels are measured against.
/// </summary>
public static unsafe class ScalarGateReference
{
    private static float Sigmoid(float v) => 1f / (1f + MathF.Exp(-v));

    /// <summary>gates (n, 4H) pre-activations in, activations out; c updated in place; h written.</summary>
    public static void LstmForward(int n, int H, float* gates, float* bIh, float* bHh, float* c, float* h)
    {
        for (int r = 0; r < n; r++)
        {
            float* g = gates + (long)r * 4 * H;
            float* cr = c + (long)r * H;
            float* hr = h + (long)r * H;
            for (int j = 0; j < H; j++)
            {
                float i = Sigmoid(g[j] + bIh[j] + bHh[j]);
                float f = Sigmoid(g[H + j] + bIh[H + j] + bHh[H + j]);
                float gg = MathF.Tanh(g[2 * H + j] + bIh[2 * H + j] + bHh[2 * H + j]);
                float o = Sigmoid(g[3 * H + j] + bIh[3 * H + j] + bHh[3 * H + j]);
                g[j] = i; g[H + j] = f; g[2 * H + j] = gg; g[3 * H + j] = o;
                cr[j] = f * cr[j] + i * gg;
                hr[j] = o * MathF.Tanh(cr[j]);
            }
        }
    }

    /// <summary>GRU, linear before reset: gx (n, 3H) in: x W_ih^T, out: r, z, n; gh (n, 3H) += b_hh; h written.</summary>
    public static void GruForward(int n, int H, float* gx, float* gh, float* bIh, float* bHh, float* hPrev, float* h)
    {
        for (int row = 0; row < n; row++)
        {
            float* x = gx + (long)row * 3 * H;
            float* a = gh + (long)row * 3 * H;
            float* hp = hPrev + (long)row * H;
            float* hr = h + (long)row * H;
            for (int j = 0; j < H; j++)
            {
                a[j] += bHh[j]; a[H + j] += bHh[H + j]; a[2 * H + j] += bHh[2 * H + j];
                float r = Sigmoid(x[j] + bIh[j] + a[j]);
                float z = Sigmoid(x[H + j] + bIh[H + j] + a[H + j]);
                float nn = MathF.Tanh(x[2 * H + j] + bIh[2 * H + j] + r * a[2 * H + j]);
                x[j] = r; x[H + j] = z; x[2 * H + j] = nn;
                hr[j] = (1 - z) * nn + z * hp[j];
            }
        }
    }
}
