using MklRnn.Core;
using MklRnn.Layers;
using MklRnn.Memory;
using MklRnn.Modules;
using MklRnn.Training;

namespace MklRnn.Seq2Seq;

/// <summary>
/// The target side, run one step at a time on the stepped API of a unidirectional stack: per step the
/// input is the embedded previous token ("decoder.embedding.weight"), with input feeding concatenated with
/// the previous attentional state h̃; the stack ("decoder.rnn.*") gives h_t, Luong attention
/// ("decoder.attention.*") gives h̃_t, and a linear softmax head ("decoder.head.*") the logits.
/// Two uses: teacher forcing over whole target batches (<see cref="ForwardTeacher"/>, loss, backward through
/// every step), and inference steps over a per-row state (<see cref="BeginInference"/>, <see cref="Step"/>).
/// </summary>
public sealed unsafe class Decoder : IParameterized, IDisposable
{
    private readonly Embedding _embedding;
    private readonly RecurrentStack _rnn;
    private readonly LuongAttention _attention;
    private readonly LinearSoftmaxHead _head;
    private readonly Parameter[] _parameters;
    private readonly Workspace _embedded = new("dec_embedded");     // (T*N, E)
    private readonly Workspace _input = new("dec_input");           // (N, X) one step's [embedding; feed]
    private readonly Workspace _top = new("dec_top");               // (N, Hd) the stack's output h_t
    private readonly Workspace _attentional = new("dec_attn");      // (T*N, Hd) h̃ of every step
    private readonly Workspace _gradAttentional = new("dec_dattn"); // (T*N, Hd)
    private readonly Workspace _gradStep = new("dec_dstep");        // (N, Hd)
    private readonly Workspace _gradTop = new("dec_dtop");          // (N, Hd)
    private readonly Workspace _gradInput = new("dec_dinput");      // (N, X)
    private readonly Workspace _gradEmbedded = new("dec_dembedded");// (T*N, E)
    private readonly Workspace _h0 = new("dec_h0");                 // (L, N, Hd) stack layout for stepping
    private readonly Workspace _c0 = new("dec_c0");
    private readonly Workspace _gradKeys = new("dec_dkeys");        // (S*N, Hd)
    private readonly Workspace _gradH0 = new("dec_dh0");            // (L, N, Hd)
    private readonly Workspace _gradC0 = new("dec_dc0");
    private int[] _inputIds = [];
    private int[] _rowSteps = [];                                   // (N) local-m: each row's decoder step
    private int _T, _N, _S;
    private int _memoryVersion; // counts Begin calls on the attention memory: a step decoder holds on to one
    private bool _taped;
    private bool _disposed;

    public Decoder(Seq2SeqConfig config, int seed = 0)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        Config = config;
        int Hd = config.DecoderHiddenSize;
        _embedding = new Embedding(config.TargetVocabularySize, config.EmbeddingSize, "decoder.embedding.", seed);
        _rnn = new RecurrentStack(new RnnConfig(config.Cell, InputSize, Hd, config.NumLayers), seed + 1, "decoder.rnn.");
        _attention = new LuongAttention(Hd, config.Score, "decoder.attention.", seed + 2, config.Attention, config.Window);
        _head = new LinearSoftmaxHead(Hd, config.TargetVocabularySize, "decoder.head.", seed + 3);
        _parameters = [.. _embedding.Parameters, .. _rnn.Parameters, .. _attention.Parameters, .. _head.Parameters];
    }

    public Seq2SeqConfig Config { get; }

    /// <summary>The recurrent stack (stepped while decoding).</summary>
    public RecurrentStack Stack => _rnn;

    /// <summary>Embedding, stack, attention, head parameters, in that order.</summary>
    public IReadOnlyList<Parameter> Parameters => _parameters;

    public LuongAttention Attention => _attention;

    public LinearSoftmaxHead Head => _head;

    /// <summary>X: the stack's input width, E (+ Hd with input feeding).</summary>
    public int InputSize => Config.EmbeddingSize + (Config.InputFeeding ? Config.DecoderHiddenSize : 0);

    private bool Lstm => Config.Cell == CellKind.Lstm;

    /// <summary>
    /// Floats of per-row decoding state: h (L*Hd), c (L*Hd, LSTM), previous h̃ (Hd, input feeding), and for
    /// local-m one float counting the row's decoder steps (its window's centre; exact as a float up to 2^24).
    /// </summary>
    public int StateSize => Config.DecoderHiddenSize * (Config.NumLayers * (Lstm ? 2 : 1) + (Config.InputFeeding ? 1 : 0)) + (Monotonic ? 1 : 0);

    private bool Monotonic => Config.Attention == AttentionKind.LocalMonotonic;

    // ------------------------------------------------------------------ teacher forcing

    /// <summary>
    /// Teacher-forced forward over T steps of N sequences: inputs (T, N) ids; attention over keys (S, N, Hd)
    /// masked to sourceLengths; initial state h0 / c0 (L, N, Hd) (c0 LSTM only). Returns h̃ of every step,
    /// (T*N, Hd), time-major. training keeps the tape for <see cref="BackwardTeacher"/>.
    /// </summary>
    public ReadOnlySpan<float> ForwardTeacher(ReadOnlySpan<int> inputs, int steps, int batchSize, ReadOnlySpan<float> keys, int sourceLength,
        ReadOnlySpan<int> sourceLengths, ReadOnlySpan<float> h0, ReadOnlySpan<float> c0, bool training)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        int T = steps, N = batchSize, E = Config.EmbeddingSize, Hd = Config.DecoderHiddenSize, X = InputSize;
        if (T < 1) throw new ArgumentOutOfRangeException(nameof(steps), steps, "steps must be >= 1");
        if (N < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "batch size must be >= 1");
        if (inputs.Length != T * N) throw new ArgumentException($"inputs: expected ({T}, {N}) = {T * N} ids, got {inputs.Length}", nameof(inputs));
        _attention.Begin(keys, sourceLength, N, sourceLengths, T, training);
        _memoryVersion++;
        _rnn.BeginSteps(N, T, h0, c0, training);
        _T = T;
        _N = N;
        _S = sourceLength;
        _taped = training;
        if (_inputIds.Length < T * N) _inputIds = new int[T * N];
        inputs.CopyTo(_inputIds);
        float* embedded = _embedded.Ensure((long)T * N * E);
        _embedding.Forward(inputs, new Span<float>(embedded, T * N * E));
        float* x = _input.Ensure((long)N * X);
        float* top = _top.Ensure((long)N * Hd);
        float* attentional = _attentional.Ensure((long)T * N * Hd);
        if (Config.InputFeeding) Rows.Clear(x + E, X, N, Hd); // no h̃ before the first step
        for (int t = 0; t < T; t++)
        {
            Rows.Copy(embedded + (long)t * N * E, E, x, X, N, E);
            _rnn.Step(new ReadOnlySpan<float>(x, N * X), new Span<float>(top, N * Hd));
            float* att = attentional + (long)t * N * Hd;
            _attention.Step(new ReadOnlySpan<float>(top, N * Hd), new Span<float>(att, N * Hd));
            if (Config.InputFeeding) Rows.Copy(att, Hd, x + E, X, N, Hd);
        }
        return new ReadOnlySpan<float>(attentional, T * N * Hd);
    }

    /// <summary>
    /// Softmax cross-entropy of the last teacher forward against targets (T, N) (-1 = ignored), mean over the
    /// counted tokens. With gradients, keeps d loss / d h̃ for <see cref="BackwardTeacher"/> and accumulates the head's gradients.
    /// </summary>
    public LossResult Loss(ReadOnlySpan<int> targets, bool gradients)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        int rows = _T * _N, Hd = Config.DecoderHiddenSize;
        var attentional = new ReadOnlySpan<float>(_attentional.Pointer, rows * Hd);
        if (!gradients) return _head.Evaluate(attentional, rows, targets, LossReduction.Mean, ignoreIndex: -1);
        if (!_taped) throw new InvalidOperationException("loss gradients need a training ForwardTeacher");
        _head.Loss(attentional, rows, targets, LossReduction.Mean, new Span<float>(_gradAttentional.Ensure((long)rows * Hd), rows * Hd), ignoreIndex: -1);
        return _head.LastResult;
    }

    /// <summary>
    /// Backward through every step of the last training teacher forward, from the loss gradients kept by
    /// <see cref="Loss"/>: accumulates the decoder's parameter gradients; returns through <see cref="GradKeys"/>
    /// (S, N, Hd), <see cref="GradH0"/> and <see cref="GradC0"/> (L, N, Hd) what flows into the encoder.
    /// </summary>
    public void BackwardTeacher()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (!_taped) throw new InvalidOperationException("BackwardTeacher needs a training ForwardTeacher and Loss(gradients: true)");
        _taped = false;
        int T = _T, N = _N, E = Config.EmbeddingSize, Hd = Config.DecoderHiddenSize, X = InputSize, L = Config.NumLayers;
        float* gradAttentional = _gradAttentional.Pointer;
        float* gradStep = _gradStep.Ensure((long)N * Hd);
        float* gradTop = _gradTop.Ensure((long)N * Hd);
        float* gradInput = _gradInput.Ensure((long)N * X);
        float* gradEmbedded = _gradEmbedded.Ensure((long)T * N * E);
        _attention.BeginBackward();
        _rnn.BeginStepsBackward();
        for (int t = T - 1; t >= 0; t--)
        {
            // d h̃_t: from the loss, and with input feeding from step t+1's input.
            float* g = gradAttentional + (long)t * N * Hd;
            if (Config.InputFeeding && t < T - 1) Rows.Add(g, Hd, gradInput + E, X, gradStep, Hd, N, Hd);
            else Rows.Copy(g, Hd, gradStep, Hd, N, Hd);
            _attention.BackwardStep(new ReadOnlySpan<float>(gradStep, N * Hd), new Span<float>(gradTop, N * Hd));
            _rnn.BackwardStep(new ReadOnlySpan<float>(gradTop, N * Hd), new Span<float>(gradInput, N * X));
            Rows.Copy(gradInput, X, gradEmbedded + (long)t * N * E, E, N, E);
        }
        var gradH0 = new Span<float>(_gradH0.Ensure((long)L * N * Hd), L * N * Hd);
        var gradC0 = Lstm ? new Span<float>(_gradC0.Ensure((long)L * N * Hd), L * N * Hd) : default;
        _rnn.EndStepsBackward(gradH0, gradC0);
        _attention.EndBackward(new Span<float>(_gradKeys.Ensure((long)_S * N * Hd), _S * N * Hd));
        _embedding.Backward(_inputIds.AsSpan(0, T * N), new ReadOnlySpan<float>(gradEmbedded, T * N * E));
    }

    /// <summary>Gradient w.r.t. the keys of the last <see cref="BackwardTeacher"/>, (S, N, Hd).</summary>
    public ReadOnlySpan<float> GradKeys => new(_gradKeys.Pointer, _S * _N * Config.DecoderHiddenSize);

    /// <summary>Gradient w.r.t. h0, (L, N, Hd).</summary>
    public ReadOnlySpan<float> GradH0 => new(_gradH0.Pointer, Config.NumLayers * _N * Config.DecoderHiddenSize);

    /// <summary>Gradient w.r.t. c0, (L, N, Hd); empty unless LSTM.</summary>
    public ReadOnlySpan<float> GradC0 => Lstm ? new(_gradC0.Pointer, Config.NumLayers * _N * Config.DecoderHiddenSize) : default;

    // ------------------------------------------------------------------ inference steps

    /// <summary>Changes whenever the attention memory is replaced (a teacher forward or <see cref="BeginInference"/>).</summary>
    internal int MemoryVersion => _memoryVersion;

    /// <summary>Sets the memory for inference steps over N rows: keys (S, N, Hd), lengths (N).</summary>
    public void BeginInference(ReadOnlySpan<float> keys, int sourceLength, int batchSize, ReadOnlySpan<int> sourceLengths)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        _attention.Begin(keys, sourceLength, batchSize, sourceLengths, 1, training: false);
        _memoryVersion++;
        _N = batchSize;
        _taped = false;
    }

    /// <summary>
    /// Writes the state a decoding starts from, (N, StateSize), from the encoder's final state h0 / c0
    /// (L, N, Hd) (c0 LSTM only); the fed h̃ (and local-m's step count) start at zero.
    /// </summary>
    public void InitialState(ReadOnlySpan<float> h0, ReadOnlySpan<float> c0, Span<float> state)
    {
        int N = _N, L = Config.NumLayers, Hd = Config.DecoderHiddenSize, W = StateSize;
        Shapes.Require(nameof(h0), h0.Length, [L, N, Hd], "as (L, N, Hd)");
        if (Lstm) Shapes.Require(nameof(c0), c0.Length, [L, N, Hd], "as (L, N, Hd)");
        Shapes.Require(nameof(state), state.Length, [N, W], "as (N, state size)");
        state.Clear();
        fixed (float* pH = h0, pC = c0, pState = state)
        {
            for (int l = 0; l < L; l++)
            {
                Rows.Copy(pH + (long)l * N * Hd, Hd, pState + l * Hd, W, N, Hd);
                if (Lstm) Rows.Copy(pC + (long)l * N * Hd, Hd, pState + (L + l) * Hd, W, N, Hd);
            }
        }
    }

    /// <summary>
    /// One inference step for all N rows at once (one GEMM per layer): tokens (N) are the previous tokens,
    /// state (N, StateSize) the state after them; writes logits (N, V) and nextState (N, StateSize).
    /// state and nextState may be the same buffer.
    /// </summary>
    public void Step(ReadOnlySpan<int> tokens, ReadOnlySpan<float> state, Span<float> logits, Span<float> nextState)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        int N = _N, L = Config.NumLayers, E = Config.EmbeddingSize, Hd = Config.DecoderHiddenSize, X = InputSize, W = StateSize;
        if (tokens.Length != N) throw new ArgumentException($"tokens: expected {N} ids (one per row), got {tokens.Length}", nameof(tokens));
        Shapes.Require(nameof(state), state.Length, [N, W], "as (N, state size)");
        Shapes.Require(nameof(logits), logits.Length, [N, Config.TargetVocabularySize], "as (N, V)");
        Shapes.Require(nameof(nextState), nextState.Length, [N, W], "as (N, state size)");
        float* embedded = _embedded.Ensure((long)N * E);
        _embedding.Forward(tokens, new Span<float>(embedded, N * E));
        float* x = _input.Ensure((long)N * X);
        float* h0 = _h0.Ensure((long)L * N * Hd);
        float* c0 = Lstm ? _c0.Ensure((long)L * N * Hd) : null;
        float* top = _top.Ensure((long)N * Hd);
        float* att = _attentional.Ensure((long)N * Hd);
        fixed (float* pState = state, pNext = nextState)
        {
            Rows.Copy(embedded, E, x, X, N, E);
            if (Config.InputFeeding) Rows.Copy(pState + (long)L * (Lstm ? 2 : 1) * Hd, W, x + E, X, N, Hd);
            for (int l = 0; l < L; l++)
            {
                Rows.Copy(pState + l * Hd, W, h0 + (long)l * N * Hd, Hd, N, Hd);
                if (Lstm) Rows.Copy(pState + (L + l) * Hd, W, c0 + (long)l * N * Hd, Hd, N, Hd);
            }
            int stateFloats = L * N * Hd;
            _rnn.BeginSteps(N, 1, new ReadOnlySpan<float>(h0, stateFloats), Lstm ? new ReadOnlySpan<float>(c0, stateFloats) : default);
            _rnn.Step(new ReadOnlySpan<float>(x, N * X), new Span<float>(top, N * Hd));
            _rnn.CopyState(new Span<float>(h0, stateFloats), Lstm ? new Span<float>(c0, stateFloats) : default);
            ReadOnlySpan<int> rowSteps = default;
            if (Monotonic)
            {
                if (_rowSteps.Length < N) _rowSteps = new int[N];
                for (int n = 0; n < N; n++) _rowSteps[n] = (int)pState[(long)n * W + W - 1];
                rowSteps = _rowSteps.AsSpan(0, N);
            }
            _attention.Step(new ReadOnlySpan<float>(top, N * Hd), new Span<float>(att, N * Hd), rowSteps);
            _head.Logits(new ReadOnlySpan<float>(att, N * Hd), N, logits);
            for (int l = 0; l < L; l++)
            {
                Rows.Copy(h0 + (long)l * N * Hd, Hd, pNext + l * Hd, W, N, Hd);
                if (Lstm) Rows.Copy(c0 + (long)l * N * Hd, Hd, pNext + (L + l) * Hd, W, N, Hd);
            }
            if (Config.InputFeeding) Rows.Copy(att, Hd, pNext + (long)L * (Lstm ? 2 : 1) * Hd, W, N, Hd);
            if (Monotonic) for (int n = 0; n < N; n++) pNext[(long)n * W + W - 1] = _rowSteps[n] + 1;
        }
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _embedding.Dispose();
        _rnn.Dispose();
        _attention.Dispose();
        _head.Dispose();
        foreach (Workspace w in new[] { _embedded, _input, _top, _attentional, _gradAttentional, _gradStep, _gradTop, _gradInput,
                     _gradEmbedded, _h0, _c0, _gradKeys, _gradH0, _gradC0 })
            w.Dispose();
    }
}
