namespace MklRnn.Seq2Seq;

/// <summary>Greedy decoding: every row takes its most probable token each step until the end token or maxLength.</summary>
public static class GreedyDecoder
{
    /// <summary>One hypothesis per row of the decoder (Score = LogProbability).</summary>
    public static Hypothesis[] Decode(IStepDecoder decoder, int maxLength)
    {
        ArgumentNullException.ThrowIfNull(decoder);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxLength);
        int R = decoder.Rows, V = decoder.VocabularySize;
        var tokens = new int[R];
        Array.Fill(tokens, decoder.StartToken);
        var state = new float[R * decoder.StateSize];
        decoder.InitialState(state);
        var logits = new float[R * V];
        var output = Enumerable.Range(0, R).Select(_ => new List<int>()).ToArray();
        var logProbability = new double[R];
        var ended = new bool[R];
        int live = R;
        for (int step = 0; step < maxLength && live > 0; step++)
        {
            decoder.Step(tokens, state, logits, state);
            for (int r = 0; r < R; r++)
            {
                if (ended[r]) continue;
                Span<float> row = logits.AsSpan(r * V, V);
                LogSoftmax.InPlace(row);
                int best = 0;
                for (int v = 1; v < V; v++) if (row[v] > row[best]) best = v;
                logProbability[r] += row[best];
                tokens[r] = best;
                if (best == decoder.EndToken)
                {
                    ended[r] = true;
                    live--;
                }
                else output[r].Add(best);
            }
        }
        return Enumerable.Range(0, R).Select(r => new Hypothesis(output[r].ToArray(), logProbability[r], logProbability[r], ended[r])).ToArray();
    }
}
