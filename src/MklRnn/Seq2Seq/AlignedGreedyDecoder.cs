namespace MklRnn.Seq2Seq;

/// <summary>
/// Greedy decoding that also reports, for every output token, the source position attention weighted most at
/// that step (within the window for local attention), in the source's own order (undoing
/// <see cref="Seq2SeqConfig.ReverseSource"/>): what unknown-word replacement (Luong et al. 2015) copies from.
/// </summary>
public static class AlignedGreedyDecoder
{
    /// <summary>One hypothesis per source, and per output token (EOS excluded) its aligned source position.</summary>
    public static (Hypothesis[] Hypotheses, int[][] Alignments) Decode(Seq2SeqModel model, TokenBatch sources, int maxLength)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(sources);
        int S = sources.SeqLength;
        var aligned = Enumerable.Range(0, sources.BatchSize).Select(_ => new List<int>()).ToArray();
        Hypothesis[] hypotheses = GreedyDecoder.Decode(model.StartDecoding(sources), maxLength, rows =>
        {
            // The step's attention weights, (rows, S): row i is source rows[i] (one decoding row per source).
            ReadOnlySpan<float> weights = model.Decoder.Attention.LastWeights;
            for (int i = 0; i < rows.Length; i++)
            {
                int n = rows[i], len = sources.Lengths[n], best = 0;
                ReadOnlySpan<float> a = weights.Slice(i * S, len);
                for (int s = 1; s < len; s++) if (a[s] > a[best]) best = s;
                aligned[n].Add(model.Encoder.SourcePosition(best, len));
            }
        });
        // The step that emitted EOS has an alignment too; keep one per output token.
        return (hypotheses, aligned.Select((a, n) => a.Take(hypotheses[n].Tokens.Length).ToArray()).ToArray());
    }
}
