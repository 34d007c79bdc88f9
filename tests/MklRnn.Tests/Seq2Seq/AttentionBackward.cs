using MklRnn.Seq2Seq;

namespace MklRnn.Tests.Seq2Seq;

/// <summary>One taped run of the engine's attention and its backward, for the attention tests' gradient checks.</summary>
internal static class AttentionBackward
{
    /// <summary>
    /// Zeroes the parameter gradients, runs T taped steps and backward with upstream (T, N, H) as d loss / d h̃;
    /// returns the key and query gradients (parameter gradients are in the parameters).
    /// </summary>
    public static (float[] GradKeys, float[] GradQueries) Run(LuongAttention attention, float[] keys, float[] queries, float[] upstream,
        int S, int N, int T, int[] lengths)
    {
        int H = attention.HiddenSize;
        foreach (Parameter p in attention.Parameters) p.ZeroGrad();
        attention.Begin(keys, S, N, lengths, T, training: true);
        var output = new float[N * H];
        for (int t = 0; t < T; t++) attention.Step(queries.AsSpan(t * N * H, N * H), output);
        attention.BeginBackward();
        var gradQueries = new float[T * N * H];
        for (int t = T - 1; t >= 0; t--) attention.BackwardStep(upstream.AsSpan(t * N * H, N * H), gradQueries.AsSpan(t * N * H, N * H));
        var gradKeys = new float[keys.Length];
        attention.EndBackward(gradKeys);
        return (gradKeys, gradQueries);
    }
}
