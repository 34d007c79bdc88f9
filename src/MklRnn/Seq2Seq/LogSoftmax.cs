namespace MklRnn.Seq2Seq;

/// <summary>log softmax of one row of logits, in place (max-subtracted, sum in double).</summary>
internal static class LogSoftmax
{
    public static void InPlace(Span<float> row)
    {
        float max = float.NegativeInfinity;
        foreach (float v in row) if (v > max) max = v;
        double sum = 0;
        foreach (float v in row) sum += Math.Exp(v - max);
        float shift = max + (float)Math.Log(sum);
        for (int i = 0; i < row.Length; i++) row[i] -= shift;
    }
}
