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
        "lstm_localm_concat_rev", "gru_localp_dot", "lstm_bi_localp_concat",
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
        foreach (Parameter p in model.Parameters) Reference.RandomFloats(rng, p.Length, 0.8f).CopyTo(p.Data);
        model.ZeroGrad();
        model.ForwardBackward(batch);

        var names = new List<string>();
        foreach (Parameter p in model.Parameters)
        {
            names.Add(p.Name);
            float[] direction = Reference.RandomFloats(rng, p.Length);
            double analytic = Reference.AlongDirection(p.Grad, direction);
            double numeric = Reference.DirectionalDerivative(p.Values.ToArray(), direction, 1e-2f, v => v.CopyTo(p.Data),
                () => model.Evaluate(batch).Loss);
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
