using MklRnn.Layers;
using MklRnn.Memory;
using MklRnn.Modules;
using MklRnn.Training;

namespace MklRnn.CharLm;

/// <summary>
/// A character language model: Embedding -> RecurrentStack (dropout between layers) -> Dropout ->
/// LinearSoftmaxHead, with PyTorch's module names (embedding., rnn., head.). It keeps the recurrent state of
/// its N streams between chunks (truncated BPTT: values carried, gradients stopped). Work buffers are
/// rented once per batch shape; a chunk of an already-seen shape allocates nothing.
/// </summary>
public sealed class CharLmModel : IDisposable
{
    private readonly NativeBuffer?[] _buffers = new NativeBuffer?[6];
    private int _rows = -1, _streams = -1; // -1 until ResetState: no state yet

    public CharLmModel(CharLmSpec spec, int seed)
    {
        spec.Validate();
        Spec = spec;
        Embedding = new Embedding(spec.VocabularySize, spec.EmbeddingSize, "embedding.", seed: Seeds.Mix(seed, 1));
        Rnn = new RecurrentStack(spec.RnnConfig, seed: Seeds.Mix(seed, 2));
        HeadDropout = new Dropout(spec.Dropout, Seeds.Mix(seed, 3));
        Head = new LinearSoftmaxHead(spec.HiddenSize, spec.VocabularySize, "head.", seed: Seeds.Mix(seed, 4));
        Parameters = [.. Embedding.Parameters, .. Rnn.Parameters, .. Head.Parameters];
    }

    public CharLmSpec Spec { get; }
    public Embedding Embedding { get; }
    public RecurrentStack Rnn { get; }
    public Dropout HeadDropout { get; }
    public LinearSoftmaxHead Head { get; }

    /// <summary>
    /// Chooses the arithmetic of the recurrent stack's inference GEMMs (evaluation, sampling): the weights stay
    /// float32 here and on disk, the stack converts them once. Training needs Float32 (docs/precision.md).
    /// </summary>
    public void PrepareInference(Precision precision) => Rnn.PrepareInference(precision);

    /// <summary>Every trainable parameter: embedding, recurrent stack, head.</summary>
    public IReadOnlyList<Parameter> Parameters { get; }

    /// <summary>Elements of one state tensor (L, N, H).</summary>
    private int StateLength => Spec.NumLayers * _streams * Spec.HiddenSize;

    private bool IsLstm => Spec.Cell == CellKind.Lstm;

    // Buffers by role; rented by Reserve.
    private NativeBuffer Embedded => _buffers[0]!;   // (T*N, E)
    private NativeBuffer Hidden => _buffers[1]!;     // (T*N, H) stack output, dropped in place for the head
    private NativeBuffer GradHidden => _buffers[2]!; // (T*N, H)
    private NativeBuffer GradEmbedded => _buffers[3]!; // (T*N, E)
    private NativeBuffer StateH => _buffers[4]!;     // 2 x (L, N, H): h carried between chunks, then the stack's hN
    private NativeBuffer StateC => _buffers[5]!;     // 2 x (L, N, H): c carried (LSTM), then the stack's cN

    /// <summary>Sets the number of streams N and zeroes their state; makes room for chunks of up to maxSteps steps.</summary>
    public void ResetState(int streams, int maxSteps)
    {
        if (streams < 1) throw new ArgumentOutOfRangeException(nameof(streams), streams, "streams must be >= 1");
        if (maxSteps < 1) throw new ArgumentOutOfRangeException(nameof(maxSteps), maxSteps, "maxSteps must be >= 1");
        int rows = streams * maxSteps;
        if (rows != _rows || streams != _streams)
        {
            foreach (NativeBuffer? b in _buffers) NativeBufferPool.Return(b);
            _rows = rows;
            _streams = streams;
            _buffers[0] = NativeBufferPool.Rent((long)rows * Spec.EmbeddingSize);
            _buffers[1] = NativeBufferPool.Rent((long)rows * Spec.HiddenSize);
            _buffers[2] = NativeBufferPool.Rent((long)rows * Spec.HiddenSize);
            _buffers[3] = NativeBufferPool.Rent((long)rows * Spec.EmbeddingSize);
            _buffers[4] = NativeBufferPool.Rent(2L * StateLength);
            _buffers[5] = NativeBufferPool.Rent(2L * StateLength);
        }
        StateH.Clear();
        StateC.Clear();
    }

    /// <summary>The carried state (h, then c for LSTM), each (L, N, H): for checkpoints.</summary>
    public float[] ExportState()
    {
        RequireState();
        int n = StateLength;
        return IsLstm
            ? [.. StateH.Span[..n], .. StateC.Span[..n]]
            : StateH.Span[..n].ToArray();
    }

    /// <summary>Restores what <see cref="ExportState"/> gave (after ResetState with the same N).</summary>
    public void ImportState(ReadOnlySpan<float> state)
    {
        RequireState();
        int n = StateLength;
        int expected = IsLstm ? 2 * n : n;
        if (state.Length != expected)
            throw new CharLmException($"the checkpoint's recurrent state holds {state.Length} values, expected {expected} ({(IsLstm ? "h and c, " : "")}{Spec.NumLayers} x {_streams} x {Spec.HiddenSize})");
        state[..n].CopyTo(StateH.Span);
        if (IsLstm) state[n..].CopyTo(StateC.Span);
    }

    /// <summary>
    /// One training chunk: forward with dropout, mean cross-entropy over its steps*N tokens, backward.
    /// Gradients accumulate (+=) into every parameter; the carried state moves to the chunk's end.
    /// inputs/targets: (steps, N) time-major ids.
    /// </summary>
    public LossResult TrainChunk(ReadOnlySpan<int> inputs, ReadOnlySpan<int> targets, int steps)
    {
        int rows = CheckChunk(inputs, targets, steps);
        Span<float> embedded = Embedded.Span[..(rows * Spec.EmbeddingSize)];
        Span<float> hidden = Hidden.Span[..(rows * Spec.HiddenSize)];
        Span<float> gradHidden = GradHidden.Span[..(rows * Spec.HiddenSize)];
        Span<float> gradEmbedded = GradEmbedded.Span[..(rows * Spec.EmbeddingSize)];

        Embedding.Forward(inputs[..rows], embedded);
        RunStack(embedded, steps, hidden, training: true);
        HeadDropout.Forward(hidden, hidden, training: true);
        Head.Loss(hidden, rows, targets[..rows], LossReduction.Mean, gradHidden);
        LossResult result = Head.LastResult;
        HeadDropout.Backward(gradHidden, gradHidden);
        Rnn.Backward(gradHidden, gradEmbedded); // no gradient into the carried state: truncated BPTT
        Embedding.Backward(inputs[..rows], gradEmbedded);
        return result;
    }

    /// <summary>Loss of one chunk without training (no dropout, no gradients); the carried state moves on.</summary>
    public LossResult EvaluateChunk(ReadOnlySpan<int> inputs, ReadOnlySpan<int> targets, int steps)
    {
        int rows = CheckChunk(inputs, targets, steps);
        Span<float> embedded = Embedded.Span[..(rows * Spec.EmbeddingSize)];
        Span<float> hidden = Hidden.Span[..(rows * Spec.HiddenSize)];
        Embedding.Forward(inputs[..rows], embedded);
        RunStack(embedded, steps, hidden, training: false);
        return Head.Evaluate(hidden, rows, targets[..rows], LossReduction.Sum);
    }

    /// <summary>Runs the stack from the carried state and leaves the final state carried.</summary>
    private void RunStack(ReadOnlySpan<float> embedded, int steps, Span<float> hidden, bool training)
    {
        int n = StateLength;
        Span<float> h = StateH.Span, c = StateC.Span;
        // State in the first half; the stack writes the final state to the second half, copied back after.
        if (IsLstm)
            Rnn.Forward(embedded, steps, _streams, hidden, h[..n], c[..n], h.Slice(n, n), c.Slice(n, n), training: training);
        else
            Rnn.Forward(embedded, steps, _streams, hidden, h[..n], default, h.Slice(n, n), default, training: training);
        h.Slice(n, n).CopyTo(h);
        if (IsLstm) c.Slice(n, n).CopyTo(c);
    }

    private int CheckChunk(ReadOnlySpan<int> inputs, ReadOnlySpan<int> targets, int steps)
    {
        RequireState();
        int rows = steps * _streams;
        if (steps < 1 || rows > _rows)
            throw new ArgumentOutOfRangeException(nameof(steps), steps, $"steps must be in [1, {_rows / _streams}] (ResetState's maxSteps)");
        if (inputs.Length < rows || targets.Length < rows)
            throw new ArgumentException($"inputs and targets need {rows} ids ({steps} steps x {_streams} streams), got {inputs.Length} and {targets.Length}");
        return rows;
    }

    private void RequireState()
    {
        if (_streams < 1) throw new InvalidOperationException("call ResetState(streams, maxSteps) first");
    }

    public void Dispose()
    {
        foreach (NativeBuffer? b in _buffers) NativeBufferPool.Return(b);
        Array.Clear(_buffers);
        Embedding.Dispose();
        Rnn.Dispose();
        HeadDropout.Dispose();
        Head.Dispose();
    }
}
