using MklRnn.Memory;

namespace MklRnn.Seq2Seq;

/// <summary>
/// <see cref="IStepDecoder"/> of a <see cref="Seq2SeqModel"/> over a batch of sources: the encoder runs once,
/// each source's keys and final state are repeated for its RowsPerSource rows (beams), and every
/// <see cref="Step"/> runs the decoder for all rows as one batch. Valid until the model starts another decoding.
/// </summary>
public sealed unsafe class Seq2SeqStepDecoder : IStepDecoder
{
    private readonly Decoder _decoder;
    private readonly float[] _initial;
    private readonly int _memoryVersion;

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
        // Repeat each source's keys, lengths and final state k times (row n*k + j <- source n).
        var keys = new float[(long)S * R * Hd];
        ReadOnlySpan<float> output = encoder.Output;
        for (int s = 0; s < S; s++)
            for (int r = 0; r < R; r++)
                output.Slice((s * N + r / k) * Hd, Hd).CopyTo(keys.AsSpan((s * R + r) * Hd, Hd));
        var lengths = new int[R];
        for (int r = 0; r < R; r++) lengths[r] = sources.Lengths[r / k];
        _decoder.BeginInference(keys, S, R, lengths);
        _memoryVersion = _decoder.MemoryVersion;
        float[] h0 = Repeat(encoder.FinalH, L, N, k, Hd);
        float[] c0 = config.Cell == CellKind.Lstm ? Repeat(encoder.FinalC, L, N, k, Hd) : [];
        _initial = new float[R * StateSize];
        _decoder.InitialState(h0, c0, _initial);
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

    public void Step(ReadOnlySpan<int> tokens, ReadOnlySpan<float> state, Span<float> logits, Span<float> nextState)
    {
        if (_decoder.MemoryVersion != _memoryVersion)
            throw new InvalidOperationException("the model was used since this decoding started (another StartDecoding or a training step); start the decoding again");
        _decoder.Step(tokens, state, logits, nextState);
    }

    private static float[] Repeat(ReadOnlySpan<float> states, int L, int N, int k, int Hd)
    {
        var result = new float[L * N * k * Hd];
        for (int l = 0; l < L; l++)
            for (int r = 0; r < N * k; r++)
                states.Slice((l * N + r / k) * Hd, Hd).CopyTo(result.AsSpan((l * N * k + r) * Hd, Hd));
        return result;
    }
}
