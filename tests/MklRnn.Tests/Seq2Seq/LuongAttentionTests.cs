using MklRnn.Seq2Seq;

namespace MklRnn.Tests.Seq2Seq;

/// <summary>
/// Attention beyond the conformance cases: masking (padded keys have no influence and get no gradient),
/// several taped steps against finite differences, and clear errors for bad input.
/// </summary>
public class LuongAttentionTests
{
    [Theory]
    [InlineData(AttentionScore.Dot)]
    [InlineData(AttentionScore.General)]
    [InlineData(AttentionScore.Concat)]
    public void PaddedKeysHaveNoInfluenceAndNoGradient(AttentionScore score)
    {
        const int S = 5, N = 3, H = 4;
        var rng = new Random(2);
        using var attention = new LuongAttention(H, score, seed: 4);
        int[] lengths = [5, 2, 3];
        float[] keys = Reference.RandomFloats(rng, S * N * H), query = Reference.RandomFloats(rng, N * H);
        float[] Run(float[] k, out float[] gradKeys)
        {
            attention.Begin(k, S, N, lengths, maxSteps: 1, training: true);
            var outp = new float[N * H];
            attention.Step(query, outp);
            attention.BeginBackward();
            attention.BackwardStep(Enumerable.Repeat(1f, N * H).ToArray(), new float[N * H]);
            gradKeys = new float[k.Length];
            attention.EndBackward(gradKeys);
            return outp;
        }
        float[] reference = Run(keys, out float[] grad);
        float[] changed = (float[])keys.Clone();
        for (int s = 0; s < S; s++)
            for (int n = 0; n < N; n++)
                if (s >= lengths[n])
                    for (int i = 0; i < H; i++) changed[(s * N + n) * H + i] = 100f; // padding garbage
        Assert.Equal(reference, Run(changed, out _));
        for (int s = 0; s < S; s++)
            for (int n = 0; n < N; n++)
                for (int i = 0; i < H; i++)
                {
                    float g = grad[(s * N + n) * H + i];
                    if (s >= lengths[n]) Assert.Equal(0f, g);
                }
        Assert.Contains(grad, g => g != 0f);
        // Weights of the last step: zero beyond each length, summing to 1.
        ReadOnlySpan<float> w = attention.LastWeights;
        for (int n = 0; n < N; n++)
        {
            float sum = 0;
            for (int s = 0; s < S; s++)
            {
                if (s >= lengths[n]) Assert.Equal(0f, w[n * S + s]);
                sum += w[n * S + s];
            }
            Assert.Equal(1f, sum, 5);
        }
    }

    [Theory]
    [InlineData(AttentionScore.General)]
    [InlineData(AttentionScore.Concat)]
    public void SeveralTapedStepsMatchFiniteDifferences(AttentionScore score)
    {
        const int S = 4, N = 2, H = 3, T = 3;
        var rng = new Random(9);
        using var attention = new LuongAttention(H, score, seed: 1);
        int[] lengths = [4, 2];
        float[] keys = Reference.RandomFloats(rng, S * N * H), queries = Reference.RandomFloats(rng, T * N * H), upstream = Reference.RandomFloats(rng, T * N * H);
        double Loss(float[] k, float[] q)
        {
            attention.Begin(k, S, N, lengths, T, training: false);
            double loss = 0;
            var outp = new float[N * H];
            for (int t = 0; t < T; t++)
            {
                attention.Step(q.AsSpan(t * N * H, N * H), outp);
                for (int i = 0; i < N * H; i++) loss += outp[i] * upstream[t * N * H + i];
            }
            return loss;
        }
        var (gradKeys, gradQueries) = AttentionBackward.Run(attention, keys, queries, upstream, S, N, T, lengths);

        void Check(string what, float[] original, ReadOnlySpan<float> analytic, Action<float[]> write)
        {
            float[] direction = Reference.RandomFloats(rng, original.Length);
            double a = Reference.AlongDirection(analytic, direction);
            double numeric = Reference.DirectionalDerivative(original, direction, 1e-2f, write, () => Loss(keys, queries));
            Assert.True(Math.Abs(a - numeric) <= 1e-3 + 1e-2 * Math.Abs(numeric), $"{what}: analytic {a:G6} numeric {numeric:G6}");
        }
        Check("keys", (float[])keys.Clone(), gradKeys, v => v.CopyTo(keys, 0));
        Check("queries", (float[])queries.Clone(), gradQueries, v => v.CopyTo(queries, 0));
        foreach (Parameter p in attention.Parameters)
            Check(p.Name, p.Values.ToArray(), p.Grad.ToArray(), v => v.CopyTo(p.Data));
    }

    [Fact]
    public void BadInputThrowsBeforeAnyWork()
    {
        using var attention = new LuongAttention(4, AttentionScore.General);
        var e = Assert.Throws<ArgumentException>(() => attention.Begin(new float[10], 2, 2, [], 1));
        Assert.Equal("keys", e.ParamName);
        Assert.Contains("(2, 2, 4)", e.Message);
        var l = Assert.Throws<ArgumentOutOfRangeException>(() => attention.Begin(new float[16], 2, 2, [1, 3], 1));
        Assert.Contains("lengths[1] = 3", l.Message);
        Assert.Throws<InvalidOperationException>(() => attention.Step(new float[8], new float[8]));
        attention.Begin(new float[16], 2, 2, [], 1);
        var q = Assert.Throws<ArgumentException>(() => attention.Step(new float[7], new float[8]));
        Assert.Equal("query", q.ParamName);
        Assert.Throws<InvalidOperationException>(() => attention.BeginBackward()); // inference run: no tape
        Assert.Throws<ArgumentException>(() => AttentionScores.Parse("bilinear"));
    }
}
