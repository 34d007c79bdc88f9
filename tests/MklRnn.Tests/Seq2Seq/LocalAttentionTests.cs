using MklRnn.Seq2Seq;

namespace MklRnn.Tests.Seq2Seq;

/// <summary>
/// Local attention (local-m, local-p) and global attention against the float64 plain-loop
/// <see cref="AttentionReference"/>: outputs and weights over several steps on shapes whose windows hit both
/// ends of the source, sources shorter than the window, and one-token sources; gradients of keys, queries and
/// every parameter (v_p and W_p included) against central differences of the reference.
/// </summary>
public class LocalAttentionTests
{
    // (S, N, H, T, D): windows clipped at the start (early steps) and at the end (steps past a short length),
    // S < 2D + 1, S = 1, and a window of one position each side.
    public static TheoryData<AttentionKind, AttentionScore> Variants()
    {
        var data = new TheoryData<AttentionKind, AttentionScore>();
        foreach (AttentionKind kind in Enum.GetValues<AttentionKind>())
            foreach (AttentionScore score in Enum.GetValues<AttentionScore>())
                data.Add(kind, score);
        return data;
    }

    private static readonly (int S, int N, int H, int T, int D)[] Shapes =
        [(7, 3, 4, 6, 2), (3, 2, 3, 5, 4), (12, 4, 5, 4, 1), (1, 2, 3, 3, 2), (9, 3, 6, 9, 3)];

    [Theory]
    [MemberData(nameof(Variants))]
    public void ForwardMatchesTheFloat64Reference(AttentionKind kind, AttentionScore score)
    {
        var rng = new Random(31);
        foreach (var (S, N, H, T, D) in Shapes)
        {
            using var attention = Make(kind, score, H, D, rng);
            int[] lengths = RandomLengths(rng, S, N);
            float[] keys = Reference.RandomFloats(rng, S * N * H), queries = Reference.RandomFloats(rng, T * N * H);
            var reference = new AttentionReference(score, kind, D, H, attention.Parameters);
            var (want, wantWeights) = reference.Run(Reference.ToDouble(keys), Reference.ToDouble(queries), S, N, T, lengths);

            attention.Begin(keys, S, N, lengths, T, training: true);
            var output = new float[N * H];
            for (int t = 0; t < T; t++)
            {
                attention.Step(queries.AsSpan(t * N * H, N * H), output);
                string at = $"{kind} {score} S={S} N={N} H={H} D={D} lengths=[{string.Join(",", lengths)}] step {t}";
                for (int i = 0; i < N * H; i++) Reference.Near(want[t * N * H + i], output[i], 2e-5, 1e-4, $"{at} h̃[{i}]");
                ReadOnlySpan<float> weights = attention.LastWeights;
                for (int i = 0; i < N * S; i++) Reference.Near(wantWeights[t * N * S + i], weights[i], 1e-6, 1e-4, $"{at} weight[{i}]");
            }
        }
    }

    [Theory]
    [MemberData(nameof(Variants))]
    public void GradientsMatchFiniteDifferencesOfTheReference(AttentionKind kind, AttentionScore score)
    {
        var rng = new Random(47);
        foreach (var (S, N, H, T, D) in Shapes)
        {
            using var attention = Make(kind, score, H, D, rng);
            int[] lengths = RandomLengths(rng, S, N);
            float[] keys = Reference.RandomFloats(rng, S * N * H), queries = Reference.RandomFloats(rng, T * N * H);
            float[] upstream = Reference.RandomFloats(rng, T * N * H);
            var (gradKeys, gradQueries) = AttentionBackward.Run(attention, keys, queries, upstream, S, N, T, lengths);

            var reference = new AttentionReference(score, kind, D, H, attention.Parameters);
            double[] k = Reference.ToDouble(keys), q = Reference.ToDouble(queries), u = Reference.ToDouble(upstream);
            double Loss() => reference.Loss(k, q, S, N, T, lengths, u);
            string at = $"{kind} {score} S={S} N={N} H={H} D={D}";
            void Check(string what, double[] values, ReadOnlySpan<float> analytic)
            {
                float[] direction = Reference.RandomFloats(rng, values.Length);
                double a = Reference.AlongDirection(analytic, direction);
                double[] original = (double[])values.Clone();
                const double eps = 1e-6;
                for (int i = 0; i < values.Length; i++) values[i] = original[i] + eps * direction[i];
                double plus = Loss();
                for (int i = 0; i < values.Length; i++) values[i] = original[i] - eps * direction[i];
                double minus = Loss();
                original.CopyTo(values, 0);
                double numeric = (plus - minus) / (2 * eps);
                Assert.True(Math.Abs(a - numeric) <= 1e-4 + 1e-3 * Math.Abs(numeric), $"{at} {what}: analytic {a:G6} numeric {numeric:G6}");
            }
            Check("keys", k, gradKeys);
            Check("queries", q, gradQueries);
            foreach (Parameter p in attention.Parameters) Check(p.Name, reference[p.Name], p.Grad);
            if (kind == AttentionKind.LocalPredictive && S > 1)
                foreach (string name in new[] { "W_p", "v_p" })
                    Assert.Contains(attention.Parameters.Single(p => p.Name == name).Grad.ToArray(), g => Math.Abs(g) > 1e-6f);
        }
    }

    [Fact]
    public void LocalMonotonicCentresEachRowOnItsOwnDecoderStep()
    {
        const int S = 10, N = 2, H = 3, D = 1;
        var rng = new Random(5);
        using var attention = Make(AttentionKind.LocalMonotonic, AttentionScore.Dot, H, D, rng);
        attention.Begin(Reference.RandomFloats(rng, S * N * H), S, N, [10, 4]);
        attention.Step(Reference.RandomFloats(rng, N * H), new float[N * H], [6, 7]);
        ReadOnlySpan<float> w = attention.LastWeights;
        // Row 0 at step 6: positions 5..7. Row 1 at step 7 of a 4-token source: clipped to its last position, 2..3.
        for (int s = 0; s < S; s++)
        {
            Assert.Equal(s is >= 5 and <= 7, w[s] > 0);
            Assert.Equal(s is >= 2 and <= 3, w[S + s] > 0);
        }
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => attention.Step(new float[N * H], new float[N * H], [0, -1]));
        Assert.Equal("decoderSteps", e.ParamName);
        Assert.Throws<ArgumentException>(() => attention.Step(new float[N * H], new float[N * H], [0]));
    }

    [Fact]
    public void ALocalWindowNeedsAHalfWidth()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new LuongAttention(4, AttentionScore.Dot, kind: AttentionKind.LocalPredictive, window: 0));
        Assert.Equal("window", e.ParamName);
        var c = Assert.Throws<ArgumentOutOfRangeException>(() => (TinyTask.Config("lstm_localm_dot") with { Window = 0 }).Validate());
        Assert.Equal("Window", c.ParamName);
        Assert.Throws<ArgumentException>(() => AttentionKinds.Parse("local"));
    }

    private static LuongAttention Make(AttentionKind kind, AttentionScore score, int H, int D, Random rng)
    {
        var attention = new LuongAttention(H, score, kind: kind, window: D);
        // Weights larger than the defaults: peaked alignments and p_t spread over the source.
        foreach (Parameter p in attention.Parameters) Reference.RandomFloats(rng, p.Length, 1.2f).CopyTo(p.Data);
        return attention;
    }

    private static int[] RandomLengths(Random rng, int S, int N)
    {
        var lengths = Enumerable.Range(0, N).Select(_ => rng.Next(1, S + 1)).ToArray();
        lengths[0] = S; // one full-length row
        return lengths;
    }
}
