namespace MklRnn.Seq2Seq;

/// <summary>
/// Greedy decoding that also reports, for every output token, the source position attention weighted most at
/// that step (within the window for local attention), in the source's own order (undoing
/// <see cref="Seq2SeqConfig.ReverseSource"/>): what unknown-word replacement (Luong et al. 2015) copies from.
/// All rows are stepped every step (a finished row is fed EOS and ignored), so the attention weights of a
/// step line up with the rows.
/// </summary>
public static class AlignedGreedyDecoder
{
    /// <summary>One hypothesis per source, and per output token (EOS excluded) its aligned source position.</summary>
    public static (Hypothesis[] Hypotheses, int[][] Alignments) Decode(Seq2SeqModel model, TokenBatch sources, int maxLength)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(sources);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxLength);
        IStepDecoder decoder = model.StartDecoding(sources);
        int N = decoder.Rows, V = decoder.VocabularySize, W = decoder.StateSize, S = sources.SeqLength;
        var tokens = new int[N];
        Array.Fill(tokens, decoder.StartToken);
        var state = new float[N * W];
        decoder.InitialState(state);
        var logits = new float[N * V];
        var output = Enumerable.Range(0, N).Select(_ => new List<int>()).ToArray();
        var aligned = Enumerable.Range(0, N).Select(_ => new List<int>()).ToArray();
        var logProbability = new double[N];
        var ended = new bool[N];
        for (int step = 0; step < maxLength && ended.Contains(false); step++)
        {
            decoder.Step(tokens, state, logits, state);
            ReadOnlySpan<float> weights = model.Decoder.Attention.LastWeights; // (N, S)
            for (int n = 0; n < N; n++)
            {
                if (ended[n]) continue;
                Span<float> row = logits.AsSpan(n * V, V);
                LogSoftmax.InPlace(row);
                int best = 0;
                for (int v = 1; v < V; v++) if (row[v] > row[best]) best = v;
                logProbability[n] += row[best];
                tokens[n] = best;
                if (best == decoder.EndToken)
                {
                    ended[n] = true;
                    continue;
                }
                int len = sources.Lengths[n], s = 0;
                ReadOnlySpan<float> a = weights.Slice(n * S, len);
                for (int i = 1; i < len; i++) if (a[i] > a[s]) s = i;
                output[n].Add(best);
                aligned[n].Add(model.Encoder.SourcePosition(s, len));
            }
        }
        var hypotheses = Enumerable.Range(0, N).Select(n => new Hypothesis(output[n].ToArray(), logProbability[n], logProbability[n], ended[n])).ToArray();
        return (hypotheses, aligned.Select(a => a.ToArray()).ToArray());
    }
}
