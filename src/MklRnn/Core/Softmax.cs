namespace MklRnn.Core;

/// <summary>
/// The library's one softmax, log-softmax and log-sum-exp over a row of logits: max-subtracted (no
/// overflow for any finite logits), exponentials in float, sums in double. Used by the softmax head's
/// loss, the attention weights, the decoders' log-probabilities and the char-LM sampler.
/// </summary>
internal static class Softmax
{
    /// <summary>The largest value (negative infinity for an empty row; NaN is never larger).</summary>
    public static float Max(ReadOnlySpan<float> z)
    {
        float max = float.NegativeInfinity;
        foreach (float v in z) if (v > max) max = v;
        return max;
    }

    /// <summary>log Σ exp(z[j]).</summary>
    public static double LogSumExp(ReadOnlySpan<float> z)
    {
        float max = Max(z);
        double sum = 0;
        foreach (float v in z) sum += MathF.Exp(v - max);
        return max + Math.Log(sum);
    }

    /// <summary>z[j] = exp(z[j] - max) in place; returns their sum (the softmax is z / sum, the log-sum-exp max + log sum).</summary>
    public static double ExpShiftedInPlace(Span<float> z, out float max)
    {
        max = Max(z);
        double sum = 0;
        for (int j = 0; j < z.Length; j++)
        {
            float e = MathF.Exp(z[j] - max);
            z[j] = e;
            sum += e;
        }
        return sum;
    }

    /// <summary>
    /// e[j] = exp((z[j] - max) / temperature), the softmax of z / temperature before normalisation (the largest is 1);
    /// returns their sum. In double, exponentials included: the sampler draws from these weights and sums the top
    /// ones again, and a seed must repeat its draws whatever the temperature.
    /// </summary>
    public static double ExpShifted(ReadOnlySpan<float> z, double temperature, Span<double> e)
    {
        float max = Max(z);
        double sum = 0;
        for (int j = 0; j < z.Length; j++)
        {
            e[j] = Math.Exp((z[j] - max) / temperature);
            sum += e[j];
        }
        return sum;
    }

    /// <summary>z = softmax(z), in place.</summary>
    public static void InPlace(Span<float> z)
    {
        float inverse = (float)(1 / ExpShiftedInPlace(z, out _));
        for (int j = 0; j < z.Length; j++) z[j] *= inverse;
    }

    /// <summary>z = log softmax(z) = z - log Σ exp(z), in place.</summary>
    public static void LogInPlace(Span<float> z)
    {
        float shift = (float)LogSumExp(z);
        for (int j = 0; j < z.Length; j++) z[j] -= shift;
    }
}
