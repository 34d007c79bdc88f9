using MklRnn.Training;

namespace MklRnn.CharLm;

/// <summary>
/// Scores several texts together with <see cref="Evaluator"/>'s definition (each text one stream from a zero state,
/// -log p(c_t | c_&lt;t) summed over t = 1 .. len-1), as packed variable-length Forwards of the stack: windows of
/// <see cref="Evaluator.ChunkLength"/> steps whose final states start the next window. Texts are taken longest
/// first, so the texts still running in a window are a prefix and the state only shrinks. The head runs per text
/// on its own rows, as eval's does. Not thread-safe; it uses the model's stack (suspend a generator first).
/// </summary>
public sealed class BatchScorer(CharLmModel model)
{
    // Scratch, grown as needed: ids/targets (T, n), embedded (T, n, E), output (T, n, H), one text's rows (T, H),
    // states (L, n, H) in and out.
    private int[] _ids = [], _targets = [], _textTargets = [];
    private float[] _embedded = [], _output = [], _textRows = [], _h0 = [], _c0 = [], _hN = [], _cN = [];

    /// <summary>The summed loss and the predicted characters of every text (each needs at least 2 ids).</summary>
    public LossResult[] Score(IReadOnlyList<int[]> texts)
    {
        for (int i = 0; i < texts.Count; i++)
            if (texts[i].Length < 2) throw new CharLmException($"text {i} needs at least 2 characters for a score, it has {texts[i].Length}");
        int[] order = Enumerable.Range(0, texts.Count).OrderByDescending(i => texts[i].Length).ToArray();
        var sums = new double[texts.Count];
        CharLmSpec spec = model.Spec;
        RnnConfig config = model.Rnn.Config;
        int L = config.NumLayers, Hout = config.OutputHiddenSize, H = config.HiddenSize, E = spec.EmbeddingSize;
        bool lstm = config.Cell == CellKind.Lstm;
        int window = Evaluator.ChunkLength;
        int previous = 0; // texts in the previous window (their final states are in _hN / _cN)
        for (int start = 0; ; start += window)
        {
            int n = 0;
            while (n < order.Length && texts[order[n]].Length - 1 > start) n++;
            if (n == 0) break;
            int T = Math.Min(window, texts[order[0]].Length - 1 - start);
            Span<int> lengths = new int[n];
            int[] ids = Grow(ref _ids, T * n), targets = Grow(ref _targets, T * n);
            Array.Clear(ids, 0, T * n);
            for (int b = 0; b < n; b++)
            {
                int[] text = texts[order[b]];
                lengths[b] = Math.Min(window, text.Length - 1 - start);
                for (int t = 0; t < lengths[b]; t++)
                {
                    ids[t * n + b] = text[start + t];
                    targets[t * n + b] = text[start + t + 1];
                }
            }
            // The states the surviving texts carry: rows 0..n-1 of the previous window's (previous rows).
            Span<float> h0 = Grow(ref _h0, L * n * Hout).AsSpan(0, L * n * Hout);
            Span<float> c0 = lstm ? Grow(ref _c0, L * n * H).AsSpan(0, L * n * H) : default;
            for (int l = 0; l < L; l++)
            {
                if (start == 0) { h0.Clear(); c0.Clear(); break; }
                _hN.AsSpan(l * previous * Hout, n * Hout).CopyTo(h0.Slice(l * n * Hout));
                if (lstm) _cN.AsSpan(l * previous * H, n * H).CopyTo(c0.Slice(l * n * H));
            }
            Span<float> embedded = Grow(ref _embedded, T * n * E).AsSpan(0, T * n * E);
            Span<float> output = Grow(ref _output, T * n * H).AsSpan(0, T * n * H);
            Span<float> hN = Grow(ref _hN, L * n * Hout).AsSpan(0, L * n * Hout);
            Span<float> cN = lstm ? Grow(ref _cN, L * n * H).AsSpan(0, L * n * H) : default;
            model.Embedding.Forward(ids.AsSpan(0, T * n), embedded);
            model.Rnn.Forward(embedded, T, n, output, h0, c0, hN, cN, lengths);
            for (int b = 0; b < n; b++)
            {
                int rows = lengths[b];
                Span<float> textRows = Grow(ref _textRows, rows * H).AsSpan(0, rows * H);
                int[] textTargets = Grow(ref _textTargets, rows);
                for (int t = 0; t < rows; t++)
                {
                    output.Slice((t * n + b) * H, H).CopyTo(textRows.Slice(t * H, H));
                    textTargets[t] = targets[t * n + b];
                }
                sums[order[b]] += model.Head.Evaluate(textRows, rows, textTargets.AsSpan(0, rows), LossReduction.Sum).TokenLossSum;
            }
            previous = n;
        }
        var results = new LossResult[texts.Count];
        for (int i = 0; i < texts.Count; i++)
        {
            int count = texts[i].Length - 1;
            results[i] = new LossResult(sums[i], count, sums[i]);
        }
        return results;
    }

    private static T[] Grow<T>(ref T[] array, int length)
    {
        if (array.Length < length) array = new T[length];
        return array;
    }
}
