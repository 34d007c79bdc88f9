using MklRnn.Seq2Seq;

namespace MklRnn.Cli.Seq2Seq;

/// <summary>
/// Unknown-word replacement (Luong et al. 2015, after Jean et al.): decode greedily, then write in place of each
/// &lt;unk&gt; the source word that attention weighted most at that step. Translation and held-out accuracy of the
/// dates task, with and without replacement.
/// </summary>
internal static class UnknownWordReplacement
{
    public const int MaxOutput = 8; // "yyyy - mm - dd" and EOS, with room for a wrong longer output

    /// <summary>The output words of each source (and whether the model ended it with EOS).</summary>
    public static (string[] Words, bool Ended)[] Translate(Seq2SeqModel model, IReadOnlyList<string[]> sources, bool replaceUnk, int batchSize = 256)
    {
        var results = new (string[], bool)[sources.Count];
        var batch = new TokenBatch();
        for (int start = 0; start < sources.Count; start += batchSize)
        {
            string[][] chunk = sources.Skip(start).Take(batchSize).ToArray();
            batch.Fill(chunk.Select(DatesTask.SourceVocabulary.Ids).ToArray(), model.Config.SourceVocabularySize);
            var (hypotheses, alignments) = AlignedGreedyDecoder.Decode(model, batch, MaxOutput);
            for (int i = 0; i < chunk.Length; i++)
            {
                int[] tokens = hypotheses[i].Tokens;
                var words = new string[tokens.Length];
                for (int j = 0; j < tokens.Length; j++)
                    words[j] = replaceUnk && tokens[j] == DatesTask.Unk ? chunk[i][alignments[i][j]] : DatesTask.TargetVocabulary.Word(tokens[j]);
                results[start + i] = (words, hypotheses[i].Ended);
            }
        }
        return results;
    }

    /// <summary>Exact-sequence accuracy on (source, target) word pairs; an &lt;unk&gt; left in the output never matches.</summary>
    public static double Accuracy(Seq2SeqModel model, IReadOnlyList<(string[] Source, string[] Target)> pairs, bool replaceUnk)
    {
        var translated = Translate(model, pairs.Select(p => p.Source).ToArray(), replaceUnk);
        int correct = 0;
        for (int i = 0; i < pairs.Count; i++)
            if (translated[i].Ended && translated[i].Words.SequenceEqual(pairs[i].Target)) correct++;
        return (double)correct / pairs.Count;
    }
}
