using MklRnn.Seq2Seq;

namespace MklRnn.Cli.Seq2Seq;

/// <summary>Decodes sources in batches (greedy for beam 1, else beam search) and scores exact-match accuracy.</summary>
internal static class SequenceAccuracy
{
    /// <summary>The best hypothesis of every source.</summary>
    public static Hypothesis[] Decode(Seq2SeqModel model, IReadOnlyList<int[]> sources, int beamWidth, int maxLength, double lengthPenalty, int batchSize = 256)
    {
        var results = new Hypothesis[sources.Count];
        var batch = new TokenBatch();
        for (int start = 0; start < sources.Count; start += batchSize)
        {
            var chunk = sources.Skip(start).Take(batchSize).ToArray();
            batch.Fill(chunk, model.Config.SourceVocabularySize);
            IStepDecoder decoder = model.StartDecoding(batch, beamWidth);
            Hypothesis[] best = beamWidth == 1
                ? GreedyDecoder.Decode(decoder, maxLength)
                : BeamSearch.Decode(decoder, beamWidth, maxLength, lengthPenalty).Select(list => list[0]).ToArray();
            best.CopyTo(results, start);
        }
        return results;
    }

    /// <summary>Fraction of sources whose decoded sequence equals the expected one exactly (ended by EOS).</summary>
    public static double Measure(Seq2SeqModel model, IReadOnlyList<int[]> sources, Func<int[], int[]> expected, int beamWidth, int maxLength, double lengthPenalty = 0)
    {
        Hypothesis[] decoded = Decode(model, sources, beamWidth, maxLength, lengthPenalty);
        int correct = 0;
        for (int i = 0; i < sources.Count; i++)
            if (IsExact(decoded[i], expected(sources[i]))) correct++;
        return (double)correct / sources.Count;
    }

    /// <summary>Whether a hypothesis is exactly the expected sequence, ended by EOS (a cut-off one never counts).</summary>
    public static bool IsExact(Hypothesis hypothesis, int[] expected) =>
        hypothesis.Ended && hypothesis.Tokens.AsSpan().SequenceEqual(expected);
}
