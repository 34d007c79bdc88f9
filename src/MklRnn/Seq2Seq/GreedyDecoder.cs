using MklRnn.Core;

namespace MklRnn.Seq2Seq;

/// <summary>
/// Greedy decoding: every row takes its most probable token each step until the end token or maxLength;
/// each step is one decoder call for the rows still running.
/// </summary>
public static class GreedyDecoder
{
    /// <summary>
    /// One hypothesis per row of the decoder (Score = LogProbability). afterStep, when given, is called after
    /// every decoder call with the rows it stepped (ascending), e.g. to read the attention of that step.
    /// </summary>
    public static Hypothesis[] Decode(IStepDecoder decoder, int maxLength, Action<ReadOnlySpan<int>>? afterStep = null)
    {
        ArgumentNullException.ThrowIfNull(decoder);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxLength);
        int R = decoder.Rows, V = decoder.VocabularySize;
        int W = decoder.StateSize;
        var tokens = new int[R];
        Array.Fill(tokens, decoder.StartToken);
        var state = new float[R * W];
        decoder.InitialState(state);
        var logits = new float[R * V];
        var output = Enumerable.Range(0, R).Select(_ => new List<int>()).ToArray();
        var logProbability = new double[R];
        var ended = new bool[R];
        // Unfinished rows, packed: ids, tokens and states; finished rows are not stepped any more.
        var live = Enumerable.Range(0, R).ToArray();
        int count = R;
        for (int step = 0; step < maxLength && count > 0; step++)
        {
            decoder.Step(live.AsSpan(0, count), tokens.AsSpan(0, count), state.AsSpan(0, count * W), logits.AsSpan(0, count * V), state.AsSpan(0, count * W));
            afterStep?.Invoke(live.AsSpan(0, count));
            int kept = 0;
            for (int i = 0; i < count; i++)
            {
                int r = live[i];
                Span<float> row = logits.AsSpan(i * V, V);
                Softmax.LogInPlace(row);
                int best = 0;
                for (int v = 1; v < V; v++) if (row[v] > row[best]) best = v;
                logProbability[r] += row[best];
                if (best == decoder.EndToken)
                {
                    ended[r] = true;
                    continue;
                }
                output[r].Add(best);
                // Pack: the row moves to slot kept (kept <= i, so nothing unread is overwritten).
                live[kept] = r;
                tokens[kept] = best;
                if (kept != i) state.AsSpan(i * W, W).CopyTo(state.AsSpan(kept * W, W));
                kept++;
            }
            count = kept;
        }
        return Enumerable.Range(0, R).Select(r => new Hypothesis(output[r].ToArray(), logProbability[r], logProbability[r], ended[r])).ToArray();
    }
}
