using MklRnn.Core;

namespace MklRnn.Seq2Seq;

/// <summary>
/// Beam search over an <see cref="IStepDecoder"/> whose rows are N sources × k beams (row n*k + j), every
/// step one decoder call for the live beams of all unfinished sources (finished ones cost nothing). Per source, the k best extensions of its live
/// beams are kept (k = 1 is greedy); an extension by the end token, or any at maxLength, finishes a
/// hypothesis. Finished hypotheses are ranked by log P / length^alpha (alpha = 0: plain log-probability).
/// A source stops when it has no live beam, or has nBest finished hypotheses that no live beam can beat
/// any more (log-probabilities only fall, so its best possible score is bounded).
/// </summary>
public static class BeamSearch
{
    /// <summary>The nBest hypotheses of every source, best first (fewer only when fewer exist).</summary>
    public static IReadOnlyList<Hypothesis>[] Decode(IStepDecoder decoder, int beamWidth, int maxLength, double lengthPenalty = 0, int nBest = 1)
    {
        ArgumentNullException.ThrowIfNull(decoder);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(beamWidth);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxLength);
        if (!(lengthPenalty >= 0) || double.IsInfinity(lengthPenalty))
            throw new ArgumentOutOfRangeException(nameof(lengthPenalty), lengthPenalty, "alpha must be a finite value >= 0");
        if (nBest < 1 || nBest > beamWidth)
            throw new ArgumentOutOfRangeException(nameof(nBest), nBest, $"nBest must be in [1, beam width = {beamWidth}]");
        if (decoder.RowsPerSource != beamWidth)
            throw new ArgumentException($"the decoder was started with {decoder.RowsPerSource} rows per source; beam width {beamWidth} needs as many (StartDecoding(sources, {beamWidth}))", nameof(decoder));

        if (decoder.Rows % beamWidth != 0)
            throw new ArgumentException($"the decoder has {decoder.Rows} rows, not a multiple of the beam width {beamWidth}", nameof(decoder));
        int k = beamWidth, R = decoder.Rows, N = R / k, V = decoder.VocabularySize, W = decoder.StateSize, end = decoder.EndToken;
        int stateFloats = SizeMath.Count(R, W, "rows * state size", nameof(decoder));
        int logitFloats = SizeMath.Count(R, V, "rows * vocabulary size", nameof(decoder));
        var score = new double[R];
        var nextScore = new double[R];
        var tokens = new int[R];
        var state = new float[stateFloats];
        // The live rows of a step, packed: their ids, tokens, states, logits and stepped states.
        var live = new int[R];
        var position = new int[R]; // row -> index among the live rows, -1 when not stepped
        var liveTokens = new int[R];
        var liveState = new float[stateFloats];
        var liveNext = new float[stateFloats];
        var logits = new float[logitFloats];
        // The history grows with the steps taken (maxLength is a bound, often far above the length reached).
        var parents = new int[SizeMath.Count(Math.Min(maxLength, 64), R, "steps * rows", nameof(maxLength))]; // beam row after step s came from row parents[s*R + row] after step s-1
        var chosen = new int[parents.Length];  // and took token chosen[s*R + row]
        var finished = Enumerable.Range(0, N).Select(_ => new List<Hypothesis>()).ToArray();
        var done = new bool[N];
        // Candidates of one source, best first: raw score, parent row, token.
        var candScore = new double[k];
        var candParent = new int[k];
        var candToken = new int[k];

        for (int r = 0; r < R; r++) score[r] = r % k == 0 ? 0 : double.NegativeInfinity; // one live beam per source at first
        Array.Fill(tokens, decoder.StartToken);
        decoder.InitialState(state);

        for (int step = 0; step < maxLength; step++)
        {
            if ((step + 1L) * R > parents.Length)
            {
                int grown = SizeMath.Count(Math.Min(maxLength, 2L * step), R, "steps * rows of the beam history", nameof(maxLength));
                Array.Resize(ref parents, grown);
                Array.Resize(ref chosen, grown);
            }
            // One decoder call for the live beams of every unfinished source.
            int count = 0;
            for (int r = 0; r < R; r++)
            {
                position[r] = -1;
                if (done[r / k] || double.IsNegativeInfinity(score[r])) continue;
                position[r] = count;
                live[count] = r;
                liveTokens[count] = tokens[r];
                state.AsSpan(r * W, W).CopyTo(liveState.AsSpan(count * W, W));
                count++;
            }
            if (count == 0) break;
            decoder.Step(live.AsSpan(0, count), liveTokens.AsSpan(0, count), liveState.AsSpan(0, count * W),
                logits.AsSpan(0, count * V), liveNext.AsSpan(0, count * W));

            for (int n = 0; n < N; n++)
            {
                int first = n * k;
                if (done[n])
                {
                    for (int j = 0; j < k; j++) Retire(first + j, step);
                    continue;
                }
                int candidates = 0;
                for (int j = 0; j < k; j++)
                {
                    int row = first + j;
                    if (position[row] < 0) continue;
                    Span<float> lp = logits.AsSpan(position[row] * V, V);
                    Softmax.LogInPlace(lp);
                    for (int v = 0; v < V; v++) Insert(score[row] + lp[v], row, v, ref candidates);
                }
                int kept = 0;
                for (int c = 0; c < candidates; c++)
                {
                    if (candToken[c] == end || step == maxLength - 1)
                    {
                        finished[n].Add(MakeHypothesis(candParent[c], candToken[c], candScore[c], step));
                        continue;
                    }
                    int row = first + kept++;
                    nextScore[row] = candScore[c];
                    parents[step * R + row] = candParent[c];
                    chosen[step * R + row] = candToken[c];
                }
                for (int j = kept; j < k; j++) Retire(first + j, step);
                done[n] = kept == 0 || CannotImprove(n, nextScore[first]);
            }
            // The kept beams continue from their parents' stepped states.
            for (int r = 0; r < R; r++)
            {
                if (double.IsNegativeInfinity(nextScore[r])) continue;
                int parent = parents[step * R + r];
                liveNext.AsSpan(position[parent] * W, W).CopyTo(state.AsSpan(r * W, W));
                tokens[r] = chosen[step * R + r];
            }
            (score, nextScore) = (nextScore, score);
        }

        return finished.Select(list => (IReadOnlyList<Hypothesis>)list.OrderByDescending(h => h.Score).Take(nBest).ToArray()).ToArray();

        void Retire(int row, int step)
        {
            nextScore[row] = double.NegativeInfinity;
            parents[step * R + row] = row;
            chosen[step * R + row] = end; // any valid token: the row's output is never used
        }

        void Insert(double s, int parent, int token, ref int count)
        {
            if (double.IsNaN(s) || double.IsNegativeInfinity(s)) return;
            if (count == k && s <= candScore[k - 1]) return;
            int i = count < k ? count++ : k - 1;
            while (i > 0 && candScore[i - 1] < s)
            {
                candScore[i] = candScore[i - 1];
                candParent[i] = candParent[i - 1];
                candToken[i] = candToken[i - 1];
                i--;
            }
            candScore[i] = s;
            candParent[i] = parent;
            candToken[i] = token;
        }

        Hypothesis MakeHypothesis(int parentRow, int token, double logProbability, int step)
        {
            var sequence = new List<int>(step + 1);
            if (token != end) sequence.Add(token);
            for (int s = step - 1, row = parentRow; s >= 0; s--)
            {
                sequence.Add(chosen[s * R + row]);
                row = parents[s * R + row];
            }
            sequence.Reverse();
            int length = step + 1;
            return new Hypothesis(sequence.ToArray(), logProbability, logProbability / Math.Pow(length, lengthPenalty), token == end);
        }

        // nBest finished hypotheses no live beam can beat: a live beam's log P only falls, and the most its
        // normalised score can reach is log P / maxLength^alpha (log P < 0: the longest length is kindest).
        bool CannotImprove(int n, double bestLive)
        {
            List<Hypothesis> list = finished[n];
            if (list.Count < nBest) return false;
            double bound = bestLive / Math.Pow(maxLength, lengthPenalty);
            if (bestLive > 0) bound = bestLive; // cannot happen for log-probabilities; stays safe
            double nth = list.Select(h => h.Score).OrderDescending().ElementAt(nBest - 1);
            return nth >= bound;
        }
    }
}
