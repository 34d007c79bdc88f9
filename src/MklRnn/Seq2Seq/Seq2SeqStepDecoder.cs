namespace MklRnn.Seq2Seq;

/// <summary>
/// <see cref="IStepDecoder"/> of a <see cref="Seq2SeqModel"/> over a batch of sources: the encoder runs once;
/// row r decodes source r / RowsPerSource and starts from that source's final encoder state. A step runs the
/// decoder for the requested rows as one batch; the attention memory (the encoder outputs of the rows'
/// sources) is re-gathered only when the set of rows changes. Valid until the model is used again.
/// </summary>
public sealed class Seq2SeqStepDecoder : IStepDecoder
{
    private readonly Decoder _decoder;
    private readonly float[] _initial;      // (Rows, StateSize)
    private readonly float[] _sourceKeys;   // (S, N, Hd) the encoder outputs
    private readonly int[] _sourceLengths;  // (N)
    private readonly float[] _keys;         // (S, rows, Hd) gathered for the active rows
    private readonly int[] _lengths;        // (rows)
    private readonly int[] _active;         // the rows the attention memory holds, ascending
    private readonly int[] _allRows;
    private readonly int _sourceLength, _sources;
    private int _activeCount = -1;
    private int _memoryVersion;

    internal Seq2SeqStepDecoder(Seq2SeqModel model, TokenBatch sources, int rowsPerSource)
    {
        ArgumentNullException.ThrowIfNull(sources);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(rowsPerSource);
        Seq2SeqConfig config = model.Config;
        _decoder = model.Decoder;
        Encoder encoder = model.Encoder;
        encoder.Forward(sources, training: false);
        int S = sources.SeqLength, N = sources.BatchSize, k = rowsPerSource, Hd = config.DecoderHiddenSize, L = config.NumLayers;
        int R = N * k;
        RowsPerSource = k;
        Rows = R;
        _sourceLength = S;
        _sources = N;
        _sourceKeys = encoder.Output.ToArray();
        _sourceLengths = sources.Lengths.ToArray();
        _keys = new float[(long)S * R * Hd];
        _lengths = new int[R];
        _active = new int[R];
        _allRows = Enumerable.Range(0, R).ToArray();
        // The initial state of every row: its source's final encoder state.
        _decoder.BeginInference(_sourceKeys, S, N, _sourceLengths);
        _initial = new float[R * StateSize];
        var perSource = new float[N * StateSize];
        _decoder.InitialState(encoder.FinalH, encoder.FinalC, perSource);
        for (int r = 0; r < R; r++) perSource.AsSpan(r / k * StateSize, StateSize).CopyTo(_initial.AsSpan(r * StateSize, StateSize));
        _memoryVersion = _decoder.MemoryVersion;
        VocabularySize = config.TargetVocabularySize;
        StartToken = config.BosId;
        EndToken = config.EosId;
    }

    public int Rows { get; }
    public int RowsPerSource { get; }
    public int VocabularySize { get; }
    public int StateSize => _decoder.StateSize;
    public int StartToken { get; }
    public int EndToken { get; }

    public void InitialState(Span<float> state)
    {
        if (state.Length != _initial.Length)
            throw new ArgumentException($"state: expected ({Rows}, {StateSize}) = {_initial.Length} floats, got {state.Length}", nameof(state));
        _initial.CopyTo(state);
    }

    public void Step(ReadOnlySpan<int> tokens, ReadOnlySpan<float> state, Span<float> logits, Span<float> nextState) =>
        Step(_allRows, tokens, state, logits, nextState);

    public void Step(ReadOnlySpan<int> rows, ReadOnlySpan<int> tokens, ReadOnlySpan<float> state, Span<float> logits, Span<float> nextState)
    {
        if (_decoder.MemoryVersion != _memoryVersion)
            throw new InvalidOperationException("the model was used since this decoding started (another StartDecoding or a training step); start the decoding again");
        if (rows.IsEmpty) throw new ArgumentException("rows: expected at least one row to step", nameof(rows));
        for (int i = 0; i < rows.Length; i++)
            if ((uint)rows[i] >= (uint)Rows || (i > 0 && rows[i] <= rows[i - 1]))
                throw new ArgumentException($"rows: expected ascending distinct rows in [0, {Rows}), got rows[{i}] = {rows[i]}", nameof(rows));
        if (!rows.SequenceEqual(_active.AsSpan(0, Math.Max(_activeCount, 0)))) Gather(rows);
        _decoder.Step(tokens, state, logits, nextState);
    }

    /// <summary>Attention memory for these rows: each row's source's encoder outputs and length.</summary>
    private void Gather(ReadOnlySpan<int> rows)
    {
        int S = _sourceLength, N = _sources, R = rows.Length, Hd = _decoder.Config.DecoderHiddenSize, k = RowsPerSource;
        for (int s = 0; s < S; s++)
            for (int i = 0; i < R; i++)
                _sourceKeys.AsSpan((s * N + rows[i] / k) * Hd, Hd).CopyTo(_keys.AsSpan((s * R + i) * Hd, Hd));
        for (int i = 0; i < R; i++) _lengths[i] = _sourceLengths[rows[i] / k];
        _decoder.BeginInference(_keys.AsSpan(0, S * R * Hd), S, R, _lengths.AsSpan(0, R));
        _memoryVersion = _decoder.MemoryVersion;
        rows.CopyTo(_active);
        _activeCount = R;
    }
}
