using MklRnn.Layers;

namespace MklRnn.Tests.Layers;

/// <summary>
/// Finite-difference checks of every backward path: the directional derivative of a scalar loss
/// L = sum(output*A) + sum(hN*B) + sum(cN*C) along a random direction, analytic (Backward) vs central
/// differences of Forward. The engine is float32, so differences use a moderate step and a loosened
/// tolerance; a wrong gradient term is off by far more.
/// </summary>
public class GradientCheckTests
{
    public static TheoryData<string> Variants() =>
    [
        "rnn_tanh", "rnn_relu", "lstm", "lstm_peep", "lstm_proj", "lstm_peep_proj", "gru", "gru_lbr0",
        "lstm_bi_2l", "gru_bi_2l_len", "gru_lbr0_bi_len_bf", "lstm_proj_bi_2l_len_bf", "rnn_tanh_bi_len",
        "lstm_peep_2l_dropout",
    ];

    private static RnnConfig ConfigFor(string variant)
    {
        CellKind cell = variant.StartsWith("rnn_tanh") ? CellKind.RnnTanh
            : variant.StartsWith("rnn_relu") ? CellKind.RnnRelu
            : variant.StartsWith("lstm") ? CellKind.Lstm : CellKind.Gru;
        int layers = variant.Contains("2l") ? 2 : 1;
        return new RnnConfig(cell, 5, 7, layers, variant.Contains("_bi"))
        {
            Peephole = variant.Contains("peep"),
            ProjSize = variant.Contains("proj") ? 4 : 0,
            LinearBeforeReset = !variant.Contains("lbr0"),
            BatchFirst = variant.EndsWith("_bf") || variant.Contains("_bf_"),
            Dropout = variant.Contains("dropout") ? 0.3f : 0f,
        };
    }

    [Theory]
    [MemberData(nameof(Variants))]
    public void BackwardMatchesFiniteDifferences(string variant)
    {
        RnnConfig config = ConfigFor(variant);
        const int T = 6, N = 3;
        int[] lengths = variant.Contains("len") ? [4, 6, 2] : [];
        using var stack = new RecurrentStack(config, seed: 3);
        var rng = new Random(11);
        int S = config.NumLayers * config.Directions;
        bool lstm = config.Cell == CellKind.Lstm;
        float[] x = TestValues.Rand(rng, T * N * config.InputSize);
        float[] h0 = TestValues.Rand(rng, S * N * config.OutputHiddenSize);
        float[] c0 = lstm ? TestValues.Rand(rng, S * N * config.HiddenSize) : [];
        float[] a = TestValues.Rand(rng, T * N * config.OutputSize);
        float[] b = TestValues.Rand(rng, h0.Length);
        float[] c = TestValues.Rand(rng, c0.Length);

        double Loss()
        {
            var y = new float[a.Length];
            var hN = new float[b.Length];
            var cN = new float[c.Length];
            stack.SeedDropout(5); // the same dropout masks in every evaluation
            stack.Forward(x, T, N, y, h0, c0, hN, cN, lengths, training: config.Dropout > 0);
            return Dot(y, a) + Dot(hN, b) + Dot(cN, c);
        }

        // Analytic gradients.
        stack.ZeroGrad();
        stack.SeedDropout(5);
        stack.Forward(x, T, N, new float[a.Length], h0, c0, new float[b.Length], new float[c.Length], lengths, training: true);
        var gx = new float[x.Length];
        var gh0 = new float[h0.Length];
        var gc0 = new float[c0.Length];
        stack.Backward(a, gx, b, c, gh0, gc0);

        // A random direction over inputs, states and every parameter.
        var dx = TestValues.Rand(rng, x.Length);
        var dh0 = TestValues.Rand(rng, h0.Length);
        var dc0 = TestValues.Rand(rng, c0.Length);
        var dp = stack.Parameters.Select(p => TestValues.Rand(rng, p.Length)).ToArray();
        double analytic = Dot(gx, dx) + Dot(gh0, dh0) + Dot(gc0, dc0);
        for (int i = 0; i < dp.Length; i++) analytic += Dot(stack.Parameters[i].Grad.ToArray(), dp[i]);

        const float eps = 4e-3f;
        Shift(+eps);
        double plus = Loss();
        Shift(-2 * eps);
        double minus = Loss();
        Shift(+eps);
        double numeric = (plus - minus) / (2 * eps);

        double tolerance = 2e-3 + 2e-2 * Math.Abs(numeric);
        Assert.True(Math.Abs(analytic - numeric) <= tolerance,
            $"{variant}: analytic {analytic:G8} vs finite differences {numeric:G8} (diff {Math.Abs(analytic - numeric):G3}, tolerance {tolerance:G3})");
        // And each part separately, so a wrong term cannot hide behind another.
        CheckPart("input", gx, dx, v => Add(x, dx, v));
        CheckPart("h0", gh0, dh0, v => Add(h0, dh0, v));
        if (lstm) CheckPart("c0", gc0, dc0, v => Add(c0, dc0, v));
        for (int i = 0; i < dp.Length; i++)
        {
            Parameter p = stack.Parameters[i];
            float[] dir = dp[i];
            CheckPart(p.Name, p.Grad.ToArray(), dir, v => Add(p.Data, dir, v));
        }

        void Shift(float step)
        {
            Add(x, dx, step);
            Add(h0, dh0, step);
            Add(c0, dc0, step);
            for (int i = 0; i < dp.Length; i++) Add(stack.Parameters[i].Data, dp[i], step);
        }

        void CheckPart(string name, float[] grad, float[] dir, Action<float> shift)
        {
            double expected = Dot(grad, dir);
            shift(eps);
            double p = Loss();
            shift(-2 * eps);
            double m = Loss();
            shift(eps);
            double fd = (p - m) / (2 * eps);
            double tol = 2e-3 + 2e-2 * Math.Abs(fd);
            Assert.True(Math.Abs(expected - fd) <= tol, $"{variant} {name}: analytic {expected:G8} vs finite differences {fd:G8}");
        }
    }

    [Fact]
    public void PaddedStepsGetZeroInputGradientAndIgnoreTheirOutputGradient()
    {
        var config = new RnnConfig(CellKind.Lstm, 3, 4, 2, bidirectional: true);
        using var stack = new RecurrentStack(config, seed: 1);
        const int T = 5, N = 3;
        int[] lengths = [2, 5, 3];
        var rng = new Random(2);
        float[] x = TestValues.Rand(rng, T * N * 3);
        stack.Forward(x, T, N, new float[T * N * 8], lengths: lengths, training: true);
        float[] gy = TestValues.Rand(rng, T * N * 8);
        var gx1 = new float[x.Length];
        stack.Backward(gy, gx1);
        // Change the output gradient at padded steps only: nothing may move.
        for (int t = 0; t < T; t++)
            for (int n = 0; n < N; n++)
                if (t >= lengths[n])
                    for (int f = 0; f < 8; f++) gy[(t * N + n) * 8 + f] = 100f;
        stack.Forward(x, T, N, new float[T * N * 8], lengths: lengths, training: true);
        var gx2 = new float[x.Length];
        stack.Backward(gy, gx2);
        Assert.Equal(gx1, gx2);
        for (int t = 0; t < T; t++)
            for (int n = 0; n < N; n++)
                if (t >= lengths[n])
                    for (int f = 0; f < 3; f++) Assert.Equal(0f, gx1[(t * N + n) * 3 + f]);
    }

    internal static double Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        double s = 0;
        for (int i = 0; i < a.Length; i++) s += (double)a[i] * b[i];
        return s;
    }

    private static void Add(Span<float> target, float[] dir, float step)
    {
        for (int i = 0; i < target.Length; i++) target[i] += step * dir[i];
    }
}
