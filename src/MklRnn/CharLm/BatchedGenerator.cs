using MklRnn.Threading;

namespace MklRnn.CharLm;

/// <summary>
/// Continuous batching of character generation over one model. Streams join with <see cref="Admit"/>: their
/// prompts (all but the last character) run as ONE packed variable-length Forward, and each final state goes into a
/// free row of the running batch. Every <see cref="Step"/> is ONE stepped call of the stack for all N active rows,
/// then one head GEMM and a draw per row. Finished and cancelled streams leave at once and their rows close up
/// (rows stay 0..N-1, so a step costs what N streams cost, not what the capacity costs).
/// The running state lives in the stack between steps; when the row set changes (or the model was used for
/// something else, see <see cref="Suspend"/>) it is copied out, rearranged, and the stepped run restarts with it.
/// Not thread-safe: one owner thread (the server's scheduler, or the offline load test). After the first steps at
/// full width a step allocates nothing but the streams' text.
/// </summary>
public sealed class BatchedGenerator
{
    /// <summary>
    /// A step (or prefill) with fewer multiply-adds than this runs MKL on the calling thread alone: a small GEMM gains
    /// less from a second thread than the team's fork and join cost, all the more on a shared machine where the
    /// partner thread waits for a core. Measured on the shared 2-core machine (`loadtest --offline`, this rule against
    /// MKL's 2 threads, interleaved, load 4-13; docs/results-2026-12-03.md): at N = 1, 3-9x the tokens/s for a 1 x 128
    /// LSTM (0.11 M a row) and 1.7-3x for a 1 x 512 one (1.2 M a row); 1 x 128 at N = 16 (1.8 M) 1.1-1.5x. At 7 M
    /// (1 x 128, N = 64) runs disagreed and at 79 M (1 x 512, N = 64) two threads are 2x faster, so the threshold
    /// stays below both.
    /// </summary>
    internal const long SingleThreadMultiplyAdds = 5_000_000;

    /// <summary>The threshold this generator uses (<see cref="SingleThreadMultiplyAdds"/>; tests move it).</summary>
    internal long SingleThreadBelow { get; init; } = SingleThreadMultiplyAdds;

    private readonly CharLmModel _model;
    private readonly Vocabulary _vocabulary;
    private readonly List<GenerationStream> _rows; // row i of the batch
    private readonly int _layers, _hiddenOut, _hidden;
    private readonly bool _lstm;
    private readonly long _multiplyAddsPerRow; // one step of one row: every layer's gate GEMMs and the head

    // Running state (L, N, H) while the stack does not hold it, and its next layout.
    private float[] _h, _c, _hNext, _cNext;
    private bool _stackHoldsState; // false: the next Step restarts the stepped run from _h / _c

    // Per-step buffers, sized for the capacity: ids (N), embedded (N, E), hidden (N, H), logits (N, V).
    private readonly int[] _ids;
    private readonly float[] _embedded, _hiddenRows, _logits;
    private readonly double[] _probabilities;
    private readonly int[] _order;

    // Prefill scratch, grown as needed: ids (T, n), embedded (T, n, E), output (T, n, H), final states (L, n, H).
    private int[] _prefillIds = [];
    private float[] _prefillEmbedded = [], _prefillOutput = [], _prefillH = [], _prefillC = [];

    public BatchedGenerator(CharLmModel model, Vocabulary vocabulary, int capacity)
    {
        if (capacity < 1) throw new ArgumentOutOfRangeException(nameof(capacity), capacity, "capacity (rows of the batch) must be >= 1");
        if (vocabulary.Count != model.Spec.VocabularySize)
            throw new ArgumentException($"the vocabulary has {vocabulary.Count} characters, the model {model.Spec.VocabularySize}", nameof(vocabulary));
        _model = model;
        _vocabulary = vocabulary;
        Capacity = capacity;
        _rows = new List<GenerationStream>(capacity);
        RnnConfig config = model.Rnn.Config;
        _layers = config.NumLayers;
        _hiddenOut = config.OutputHiddenSize;
        _hidden = config.HiddenSize;
        _lstm = config.Cell == CellKind.Lstm;
        _multiplyAddsPerRow = MultiplyAddsPerRow(config, model.Spec.VocabularySize);
        _h = new float[_layers * capacity * _hiddenOut];
        _hNext = new float[_h.Length];
        _c = _lstm ? new float[_layers * capacity * _hidden] : [];
        _cNext = new float[_c.Length];
        CharLmSpec spec = model.Spec;
        _ids = new int[capacity];
        _embedded = new float[capacity * spec.EmbeddingSize];
        _hiddenRows = new float[capacity * spec.HiddenSize];
        _logits = new float[capacity * spec.VocabularySize];
        _probabilities = new double[spec.VocabularySize];
        _order = new int[spec.VocabularySize];
    }

    /// <summary>Most streams running at once (rows of the batch).</summary>
    public int Capacity { get; }

    /// <summary>Streams running now (N of the next step).</summary>
    public int Active => _rows.Count;

    public int FreeRows => Capacity - _rows.Count;

    /// <summary>
    /// Adds streams (at most <see cref="FreeRows"/>): one packed Forward over their prompts, final states into new
    /// rows. A stream with max_tokens 0 or already cancelled finishes at once without taking a row.
    /// </summary>
    public void Admit(IReadOnlyList<GenerationStream> streams)
    {
        int joining = 0;
        foreach (GenerationStream s in streams) if (!EndsBeforeStart(s)) joining++;
        if (joining > FreeRows) throw new InvalidOperationException($"{joining} streams do not fit in {FreeRows} free rows");
        if (joining == 0) return;

        Suspend();
        int n0 = _rows.Count, n1 = n0 + joining;
        // Old rows keep their places; the new ones follow, in the order given.
        for (int i = 0; i < n0; i++) MoveRow(_h, _c, n0, i, i, n1);
        Prefill(streams, n1, n0);
        foreach (GenerationStream s in streams) if (!s.IsFinished) _rows.Add(s);
        Swap();
    }

    /// <summary>One batched step for every active stream; returns the characters produced (one per stream stepped).</summary>
    public int Step()
    {
        DropFinished();
        int N = _rows.Count;
        if (N == 0) return 0;
        CharLmSpec spec = _model.Spec;
        using var threads = SingleThreadScope.When(N * _multiplyAddsPerRow < SingleThreadBelow);
        if (!_stackHoldsState)
        {
            _model.Rnn.BeginSteps(N, maxSteps: 1, _h.AsSpan(0, _layers * N * _hiddenOut), _c.AsSpan(0, _lstm ? _layers * N * _hidden : 0));
            _stackHoldsState = true;
        }
        for (int i = 0; i < N; i++) _ids[i] = _rows[i].NextInput;
        Span<float> embedded = _embedded.AsSpan(0, N * spec.EmbeddingSize);
        Span<float> hidden = _hiddenRows.AsSpan(0, N * spec.HiddenSize);
        Span<float> logits = _logits.AsSpan(0, N * spec.VocabularySize);
        _model.Embedding.Forward(_ids.AsSpan(0, N), embedded);
        _model.Rnn.Step(embedded, hidden);
        _model.Head.Logits(hidden, N, logits);
        int V = spec.VocabularySize;
        for (int i = 0; i < N; i++)
        {
            GenerationStream s = _rows[i];
            int id = TokenChoice.Choose(logits.Slice(i * V, V), s.Sampling, s.Random, _probabilities, _order);
            s.Accept(id, _vocabulary[id]);
        }
        DropFinished();
        return N;
    }

    /// <summary>Copies the running state out of the stack, so the model can run something else (a score batch); the next Step restores it.</summary>
    public void Suspend()
    {
        if (!_stackHoldsState) return;
        int N = _rows.Count;
        _model.Rnn.CopyState(_h.AsSpan(0, _layers * N * _hiddenOut), _c.AsSpan(0, _lstm ? _layers * N * _hidden : 0));
        _stackHoldsState = false;
    }

    /// <summary>Ends every running stream as cancelled (engine failure or shutdown past its drain time).</summary>
    public void CancelAll(Exception? error = null)
    {
        foreach (GenerationStream s in _rows)
            if (error == null) s.Finish(FinishReason.Cancelled);
            else s.Fail(error);
        _rows.Clear();
        _stackHoldsState = false;
    }

    private static bool EndsBeforeStart(GenerationStream s)
    {
        if (s.Cancellation.IsCancellationRequested) s.Finish(FinishReason.Cancelled);
        else if (s.MaxTokens == 0) s.Finish(FinishReason.Length);
        return s.IsFinished;
    }

    /// <summary>Removes finished and cancelled streams; the survivors close up, keeping their order.</summary>
    private void DropFinished()
    {
        int N = _rows.Count, kept = 0;
        for (int i = 0; i < N; i++)
        {
            if (_rows[i].Cancellation.IsCancellationRequested) _rows[i].Finish(FinishReason.Cancelled);
            if (!_rows[i].IsFinished) kept++;
        }
        if (kept == N) return;
        Suspend();
        int row = 0;
        for (int i = 0; i < N; i++)
            if (!_rows[i].IsFinished) MoveRow(_h, _c, N, i, row++, kept);
        _rows.RemoveAll(s => s.IsFinished);
        Swap();
    }

    /// <summary>
    /// The prompts (all but their last id) of the joining streams as one packed variable-length Forward from zero
    /// state; each final state goes to row n0 + j of the next layout (n1 rows). One-character prompts start from zero.
    /// </summary>
    private void Prefill(IReadOnlyList<GenerationStream> streams, int n1, int n0)
    {
        int n = 0, T = 0;
        foreach (GenerationStream s in streams)
            if (!s.IsFinished && s.PromptIds.Length > 1) { n++; T = Math.Max(T, s.PromptIds.Length - 1); }
        CharLmSpec spec = _model.Spec;
        if (n > 0)
        {
            Span<int> lengths = n <= 256 ? stackalloc int[n] : new int[n];
            int[] ids = Grow(ref _prefillIds, T * n);
            Array.Clear(ids, 0, T * n);
            int b = 0;
            foreach (GenerationStream s in streams)
            {
                if (s.IsFinished || s.PromptIds.Length < 2) continue;
                lengths[b] = s.PromptIds.Length - 1;
                for (int t = 0; t < lengths[b]; t++) ids[t * n + b] = s.PromptIds[t];
                b++;
            }
            Span<float> embedded = Grow(ref _prefillEmbedded, T * n * spec.EmbeddingSize).AsSpan(0, T * n * spec.EmbeddingSize);
            Span<float> output = Grow(ref _prefillOutput, T * n * spec.HiddenSize).AsSpan(0, T * n * spec.HiddenSize);
            Span<float> hN = Grow(ref _prefillH, _layers * n * _hiddenOut).AsSpan(0, _layers * n * _hiddenOut);
            Span<float> cN = _lstm ? Grow(ref _prefillC, _layers * n * _hidden).AsSpan(0, _layers * n * _hidden) : default;
            using var threads = SingleThreadScope.When((long)T * n * _multiplyAddsPerRow < SingleThreadBelow);
            _model.Embedding.Forward(ids.AsSpan(0, T * n), embedded);
            _model.Rnn.Forward(embedded, T, n, output, hN: hN, cN: cN, lengths: lengths);
        }
        int row = n0, prefilled = 0;
        foreach (GenerationStream s in streams)
        {
            if (s.IsFinished) continue;
            if (s.PromptIds.Length > 1) CopyRow(_prefillH, _prefillC, n, prefilled++, _hNext, _cNext, row, n1);
            else ClearRow(_hNext, _cNext, row, n1);
            row++;
        }
    }

    /// <summary>Row `from` of the current layout (n rows) to row `to` of the next layout (m rows).</summary>
    private void MoveRow(float[] h, float[] c, int n, int from, int to, int m) => CopyRow(h, c, n, from, _hNext, _cNext, to, m);

    private void CopyRow(float[] h, float[] c, int n, int from, float[] hTo, float[] cTo, int to, int m)
    {
        for (int l = 0; l < _layers; l++)
        {
            h.AsSpan((l * n + from) * _hiddenOut, _hiddenOut).CopyTo(hTo.AsSpan((l * m + to) * _hiddenOut, _hiddenOut));
            if (_lstm) c.AsSpan((l * n + from) * _hidden, _hidden).CopyTo(cTo.AsSpan((l * m + to) * _hidden, _hidden));
        }
    }

    private void ClearRow(float[] h, float[] c, int row, int m)
    {
        for (int l = 0; l < _layers; l++)
        {
            h.AsSpan((l * m + row) * _hiddenOut, _hiddenOut).Clear();
            if (_lstm) c.AsSpan((l * m + row) * _hidden, _hidden).Clear();
        }
    }

    /// <summary>The next layout becomes the current one; the next Step restarts the stepped run from it.</summary>
    private void Swap()
    {
        (_h, _hNext) = (_hNext, _h);
        (_c, _cNext) = (_cNext, _c);
        _stackHoldsState = false;
    }

    /// <summary>Multiply-adds of one row's step: G*H x (input + Hout) per layer (the input and recurrent GEMMs), Hout x V for the head.</summary>
    internal static long MultiplyAddsPerRow(RnnConfig config, int vocabulary)
    {
        long perRow = (long)config.OutputHiddenSize * vocabulary;
        for (int l = 0; l < config.NumLayers; l++)
            perRow += (long)config.GateCount * config.HiddenSize * (config.LayerInputSize(l) + config.OutputHiddenSize);
        return perRow;
    }

    private static T[] Grow<T>(ref T[] array, int length)
    {
        if (array.Length < length) array = new T[length];
        return array;
    }
}
