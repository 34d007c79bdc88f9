using MklRnn.Cli.Seq2Seq;
using MklRnn.Seq2Seq;

namespace MklRnn.Tests.Seq2Seq;

/// <summary>Tiny models and random batches for the seq2seq tests.</summary>
internal static class TinyTask
{
    public static Seq2SeqConfig Config(string variant) => new()
    {
        Cell = variant.StartsWith("lstm") ? CellKind.Lstm : variant.StartsWith("gru") ? CellKind.Gru : CellKind.RnnTanh,
        SourceVocabularySize = 6,
        TargetVocabularySize = 5,
        EmbeddingSize = 3,
        HiddenSize = 4,
        NumLayers = variant.Contains("2l") ? 2 : 1,
        Bidirectional = variant.Contains("bi"),
        Score = variant.Contains("dot") ? AttentionScore.Dot : variant.Contains("concat") ? AttentionScore.Concat : AttentionScore.General,
        InputFeeding = !variant.Contains("nofeed"),
        Attention = variant.Contains("localm") ? AttentionKind.LocalMonotonic : variant.Contains("localp") ? AttentionKind.LocalPredictive : AttentionKind.Global,
        Window = variant.Contains("local") ? 2 : 0,
        ReverseSource = variant.Contains("rev"),
        BosId = 3,
        EosId = 4,
    };

    /// <summary>N random pairs with sources of 1..maxSource tokens and targets of 0..maxTarget tokens (no BOS/EOS inside).</summary>
    public static (int[][] Sources, int[][] Targets) Pairs(Random rng, Seq2SeqConfig config, int n, int maxSource, int maxTarget)
    {
        var sources = new int[n][];
        var targets = new int[n][];
        for (int i = 0; i < n; i++)
        {
            sources[i] = Enumerable.Range(0, rng.Next(1, maxSource + 1)).Select(_ => rng.Next(config.SourceVocabularySize)).ToArray();
            targets[i] = Enumerable.Range(0, rng.Next(0, maxTarget + 1)).Select(_ => rng.Next(Math.Min(config.BosId, config.EosId))).ToArray();
        }
        return (sources, targets);
    }

    /// <summary>The digit-reversal example at a small size (8 digits, hidden 32): learns in a few hundred steps.</summary>
    public static ReversalOptions SmallReversal(int steps) => new ReversalOptions
    {
        Steps = steps,
        BatchSize = 32,
        MinLength = 1,
        MaxLength = 8,
        EvalSize = 300,
        EvalEvery = 0,
        LearningRate = 0.01f,
        Seed = 1,
    } with { Model = new ReversalOptions().Model with { HiddenSize = 32, EmbeddingSize = 16 } };
}
