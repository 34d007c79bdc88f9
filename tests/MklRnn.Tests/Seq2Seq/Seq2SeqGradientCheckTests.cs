using MklRnn.Seq2Seq;

namespace MklRnn.Tests.Seq2Seq;

/// <summary>
/// Finite-difference check of the whole encoder-attention-decoder under teacher forcing: for every parameter
/// (each group: both embeddings, encoder and decoder stacks, attention W_a / v_a / W_c, head), the analytic
/// directional derivative of the loss along a random direction against central differences. Variable
/// source and target lengths, so masking and padding are on the path too.
/// </summary>
public class Seq2SeqGradientCheckTests
{
    public static TheoryData<string> Variants() =>
    [
        "lstm_general", "lstm_bi_2l_concat", "gru_dot", "gru_bi_general_nofeed", "rnn_concat_2l", "lstm_dot_nofeed",
    ];

    [Theory]
    [MemberData(nameof(Variants))]
    public void EveryParameterGradientMatchesFiniteDifferences(string variant)
    {
        Seq2SeqConfig config = TinyTask.Config(variant);
        using var model = new Seq2SeqModel(config, seed: 7);
        var rng = new Random(13);
        var (sources, targets) = TinyTask.Pairs(rng, config, n: 3, maxSource: 5, maxTarget: 4);
        targets[0] = [0, 1, 2, 1]; // the longest target runs every step
        var batch = new Seq2SeqBatch();
        batch.Fill(config, sources, targets);
        // Larger weights than the defaults make every path matter (attention weights far from uniform).
        foreach (Parameter p in model.Parameters)
        {
            Span<float> data = p.Data;
            for (int i = 0; i < data.Length; i++) data[i] = (rng.NextSingle() * 2 - 1) * 0.8f;
        }
        model.ZeroGrad();
        model.ForwardBackward(batch);

        var names = new List<string>();
        foreach (Parameter p in model.Parameters)
        {
            names.Add(p.Name);
            float[] direction = Enumerable.Range(0, p.Length).Select(_ => rng.NextSingle() * 2 - 1).ToArray();
            double analytic = 0;
            ReadOnlySpan<float> grad = p.Grad;
            for (int i = 0; i < p.Length; i++) analytic += grad[i] * direction[i];
            float[] original = p.Values.ToArray();
            const float eps = 1e-2f;
            double Shifted(float h)
            {
                Span<float> data = p.Data;
                for (int i = 0; i < data.Length; i++) data[i] = original[i] + h * direction[i];
                return model.Evaluate(batch).Loss;
            }
            double numeric = (Shifted(eps) - Shifted(-eps)) / (2 * eps);
            original.CopyTo(p.Data);
            double tolerance = 5e-4 + 1e-2 * Math.Max(Math.Abs(analytic), Math.Abs(numeric));
            Assert.True(Math.Abs(analytic - numeric) <= tolerance,
                $"{variant} {p.Name}: analytic {analytic:G6} vs numeric {numeric:G6}");
            Assert.True(Math.Abs(analytic) > 1e-4, $"{variant} {p.Name}: gradient is (near) zero, the check would prove nothing");
        }
        Assert.Contains("encoder.embedding.weight", names);
        Assert.Contains("decoder.attention.W_c", names);
        Assert.Contains(names, n => n.StartsWith("encoder.rnn.weight_hh_l0", StringComparison.Ordinal));
    }
}
