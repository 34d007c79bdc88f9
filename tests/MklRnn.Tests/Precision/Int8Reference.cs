namespace MklRnn.Tests.Precision;

/// <summary>
/// The int8 arithmetic of docs/precision.md written out in scalar code, from the description and not from the engine,
/// for the int8 reference tests (Int8LstmReferenceTests, Int8GruReferenceTests): weights int8 per output channel,
/// activations u8 per tensor or on the fixed [-1, 1] grid, exact int32 dot products, then dequantization.
/// </summary>
internal static class Int8Reference
{
    public const int Qmax = 255;

    /// <summary>
    /// The int32 parts are exact in engine and reference, the rest differs by float rounding (~1e-6); one code step of
    /// h moves a gate by ~|w| / 127, orders above this.
    /// </summary>
    public const double Tolerance = 2e-5;

    /// <summary>count values uniform in [lo, hi).</summary>
    public static float[] Uniform(Random rng, int count, double lo, double hi) =>
        Enumerable.Range(0, count).Select(_ => (float)(lo + rng.NextDouble() * (hi - lo))).ToArray();

    /// <summary>The engine's output within <see cref="Tolerance"/> of the reference's everywhere.</summary>
    public static void AssertMatches(float[] actual, double[] expected, string what)
    {
        double worst = 0;
        for (int i = 0; i < actual.Length; i++) worst = Math.Max(worst, Math.Abs(actual[i] - expected[i]));
        Assert.True(worst < Tolerance, $"{what} vs the scalar reference: max |diff| {worst:g3}");
    }

    public static (sbyte[] Q, float[] Scale) QuantizeWeights(float[] w, int rows, int cols)
    {
        var q = new sbyte[rows * cols];
        var scale = new float[rows];
        for (int j = 0; j < rows; j++)
        {
            float maxAbs = 0;
            for (int k = 0; k < cols; k++) maxAbs = Math.Max(maxAbs, Math.Abs(w[j * cols + k]));
            scale[j] = maxAbs > 0 ? maxAbs / 127f : 1f;
            for (int k = 0; k < cols; k++)
                q[j * cols + k] = (sbyte)Math.Clamp(Math.Round(w[j * cols + k] / (double)scale[j], MidpointRounding.ToEven), -127, 127);
        }
        return (q, scale);
    }

    public static (float Min, float Max) Range(float[] a) => (a.Min(), a.Max());

    /// <summary>u8 codes: the range widened to contain 0 (or the fixed [-1, 1] grid), q = clamp(round(x / s)) + zp.</summary>
    public static (byte[] Q, float Scale, int Zero) QuantizeActivations(float[] a, (float Min, float Max) range, bool fixedUnitRange = false)
    {
        float scale;
        int zero;
        if (fixedUnitRange)
        {
            scale = 1f / (Qmax / 2);
            zero = Qmax - Qmax / 2;
        }
        else
        {
            double lo = Math.Min(range.Min, 0.0), hi = Math.Max(range.Max, 0.0);
            if (hi - lo < 1e-30) return (new byte[a.Length], 1f, 0);
            scale = (float)((hi - lo) / Qmax);
            zero = (int)Math.Clamp(Math.Round(-lo / scale, MidpointRounding.ToEven), 0, Qmax);
        }
        float inverse = 1f / scale;
        var q = new byte[a.Length];
        for (int i = 0; i < a.Length; i++)
            q[i] = (byte)(Math.Clamp(Math.Round(a[i] * inverse, MidpointRounding.ToEven), -zero, Qmax - zero) + zero);
        return (q, scale, zero);
    }

    public static int Dot(byte[] a, int a0, sbyte[] w, int w0, int k)
    {
        int s = 0;
        for (int i = 0; i < k; i++) s += a[a0 + i] * w[w0 + i];
        return s;
    }

    public static int ColSum(sbyte[] w, int j, int k)
    {
        int s = 0;
        for (int i = 0; i < k; i++) s += w[j * k + i];
        return s;
    }

    public static float Dequantize(int acc, int zero, int colSum, float aScale, float wScale) => (acc - zero * colSum) * (aScale * wScale);

    public static double Sigmoid(double v) => 1 / (1 + Math.Exp(-v));
}
