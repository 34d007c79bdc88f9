using MklRnn.Cli.Seq2Seq;
using MklRnn.Seq2Seq;

namespace MklRnn.Tests.Seq2Seq;

/// <summary>
/// Beam search against brute-force enumeration (through the public step API, one row at a time), greedy
/// equivalence at k = 1, batching over several sources, and a gain over greedy on a partly trained model.
/// </summary>
public class BeamSearchTests
{
    private static Seq2SeqModel RandomModel(string variant, int seed)
    {
        var model = new Seq2SeqModel(TinyTask.Config(variant), seed);
        // Sharper distributions than the default initialisation: rankings then differ between prefixes.
        var rng = new Random(seed);
        foreach (Parameter p in model.Parameters)
        {
            Span<float> data = p.Data;
            for (int i = 0; i < data.Length; i++) data[i] = (rng.NextSingle() * 2 - 1) * 1.5f;
        }
        return model;
    }

    /// <summary>Every hypothesis of up to maxLength tokens (ended by EOS, or cut at maxLength), scored by stepping one row.</summary>
    private static List<Hypothesis> BruteForce(Seq2SeqModel model, int[] source, int maxLength, double alpha)
    {
        var all = new List<Hypothesis>();
        int V = model.Config.TargetVocabularySize, eos = model.Config.EosId;
        void Extend(List<int> prefix)
        {
            for (int v = 0; v < V; v++)
            {
                var sequence = new List<int>(prefix) { v };
                bool ended = v == eos;
                if (ended || sequence.Count == maxLength)
                {
                    double logP = LogProbability(model, source, sequence);
                    all.Add(new Hypothesis(ended ? prefix.ToArray() : sequence.ToArray(), logP, logP / Math.Pow(sequence.Count, alpha), ended));
                }
                else Extend(sequence);
            }
        }
        Extend([]);
        return all.OrderByDescending(h => h.Score).ToList();
    }

    private static double LogProbability(Seq2SeqModel model, int[] source, List<int> sequence)
    {
        IStepDecoder decoder = model.StartDecoding(TokenBatch.From([source], model.Config.SourceVocabularySize));
        var state = new float[decoder.StateSize];
        decoder.InitialState(state);
        var logits = new float[decoder.VocabularySize];
        int token = decoder.StartToken;
        double sum = 0;
        foreach (int next in sequence)
        {
            decoder.Step([token], state, logits, state);
            double max = logits.Max();
            double logZ = max + Math.Log(logits.Sum(z => Math.Exp(z - max)));
            sum += logits[next] - logZ;
            token = next;
        }
        return sum;
    }

    [Theory]
    [InlineData("lstm_general", 2, 5, 0.0)]       // k = V over 2 steps
    [InlineData("gru_bi_concat", 2, 5, 1.0)]      // with length normalisation
    [InlineData("rnn_dot_2l", 3, 25, 0.0)]        // 3 steps need k = V^2 to keep every prefix
    [InlineData("lstm_concat_nofeed", 3, 25, 0.7)]
    public void FindsTheBruteForceBest_ForSeveralSourcesAtOnce(string variant, int maxLength, int beamWidth, double alpha)
    {
        using Seq2SeqModel model = RandomModel(variant, seed: 21);
        int[][] sources = [[1, 2, 3, 4], [5], [0, 0, 2]];
        var batch = TokenBatch.From(sources, model.Config.SourceVocabularySize);
        const int nBest = 4;
        IReadOnlyList<Hypothesis>[] found = BeamSearch.Decode(model.StartDecoding(batch, beamWidth), beamWidth, maxLength, alpha, nBest);
        Assert.Equal(sources.Length, found.Length);
        for (int n = 0; n < sources.Length; n++)
        {
            List<Hypothesis> expected = BruteForce(model, sources[n], maxLength, alpha);
            Assert.Equal(nBest, found[n].Count);
            for (int i = 0; i < nBest; i++)
            {
                Assert.Equal(expected[i].Tokens, found[n][i].Tokens);
                Assert.Equal(expected[i].Ended, found[n][i].Ended);
                Assert.Equal(expected[i].Score, found[n][i].Score, 4);
                Assert.Equal(expected[i].LogProbability, found[n][i].LogProbability, 4);
            }
        }
    }

    [Theory]
    [InlineData("lstm_general")]
    [InlineData("gru_bi_2l_dot")]
    public void WidthOneEqualsGreedy(string variant)
    {
        using Seq2SeqModel model = RandomModel(variant, seed: 5);
        var rng = new Random(3);
        var (sources, _) = TinyTask.Pairs(rng, model.Config, n: 12, maxSource: 6, maxTarget: 0);
        var batch = TokenBatch.From(sources, model.Config.SourceVocabularySize);
        Hypothesis[] greedy = GreedyDecoder.Decode(model.StartDecoding(batch), maxLength: 8);
        IReadOnlyList<Hypothesis>[] beam = BeamSearch.Decode(model.StartDecoding(batch, 1), 1, maxLength: 8);
        for (int n = 0; n < sources.Length; n++)
        {
            Assert.Equal(greedy[n].Tokens, beam[n][0].Tokens);
            Assert.Equal(greedy[n].Ended, beam[n][0].Ended);
            Assert.Equal(greedy[n].LogProbability, beam[n][0].LogProbability, 4);
        }
        Assert.Contains(greedy, h => h.Tokens.Length > 0); // not a trivial all-EOS model
    }

    [Fact]
    public void BeatsGreedyOnAPartlyTrainedModel()
    {
        var options = TinyTask.SmallReversal(steps: 150);
        using var trainer = new ReversalTrainer(options);
        trainer.Train(log: null);
        IReadOnlyList<int[]> sources = trainer.Task.HeldOut;
        Hypothesis[] greedy = SequenceAccuracy.Decode(trainer.Model, sources, 1, options.MaxLength + 2, 0);
        Hypothesis[] beam = SequenceAccuracy.Decode(trainer.Model, sources, 5, options.MaxLength + 2, 0);
        int better = 0, worse = 0;
        for (int i = 0; i < sources.Count; i++)
        {
            if (beam[i].LogProbability > greedy[i].LogProbability + 1e-5) better++;
            if (beam[i].LogProbability < greedy[i].LogProbability - 1e-5) worse++;
        }
        Assert.True(better > 0, "beam search found no better-scoring sequence than greedy");
        Assert.True(better > 5 * worse, $"beam better on {better}, worse on {worse}");
        Assert.True(beam.Sum(h => h.LogProbability) > greedy.Sum(h => h.LogProbability));
        double greedyAccuracy = SequenceAccuracy.Measure(trainer.Model, sources, ReversalTask.Reverse, 1, options.MaxLength + 2);
        double beamAccuracy = SequenceAccuracy.Measure(trainer.Model, sources, ReversalTask.Reverse, 5, options.MaxLength + 2);
        Assert.True(beamAccuracy >= greedyAccuracy, $"beam {beamAccuracy:P1} < greedy {greedyAccuracy:P1}");
    }

    [Fact]
    public void RejectsAMismatchedDecoder()
    {
        using Seq2SeqModel model = RandomModel("lstm_general", 1);
        var batch = TokenBatch.From([[1, 2]], model.Config.SourceVocabularySize);
        var e = Assert.Throws<ArgumentException>(() => BeamSearch.Decode(model.StartDecoding(batch, 2), 3, 5));
        Assert.Contains("beam width 3", e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => BeamSearch.Decode(model.StartDecoding(batch, 2), 2, 5, nBest: 3));
    }
}
