using MklRnn.Core;
using MklRnn.Interop;
using MklRnn.Memory;
using MklRnn.Training;

namespace MklRnn.Seq2Seq;

/// <summary>
/// Luong global attention (Luong, Pham, Manning 2015) over a batch of encoder outputs, one decoder step at
/// a time: scores of the query h_t (N, H) against every key h_s (S, N, H) (dot, general or concat),
/// softmax over each sequence's valid source steps only (weights beyond its length are 0), context
/// c_t = Σ_s a_s h_s, and the attentional state h̃_t = tanh(W_c [c_t; h_t]).
/// <para>
/// Local attention (<see cref="AttentionKind"/>) scores only the window of source positions s (0-based) with
/// |s - p_t| &lt;= D, clipped to the valid source: p_t = min(t, S - 1) for local-m (t the decoder step), and for
/// local-p p_t = S · sigmoid(v_pᵀ tanh(W_p h_t)) with the softmax weights multiplied by exp(-(s - p_t)² / (2σ²)),
/// σ = D / 2, not renormalised (as in the paper); the gradient flows through p_t into W_p (H, H) and v_p (H).
/// Every per-step loop runs over the window only, O(D·H) per row; global attention is the window [0, S).
/// </para>
/// <para>
/// Use: <see cref="Begin"/> with the keys, then <see cref="Step"/> per decoder step. In training the steps
/// are taped (rows t*N of every buffer); backward goes <see cref="BeginBackward"/>, <see cref="BackwardStep"/>
/// per step in reverse (returns the gradient w.r.t. that step's query), <see cref="EndBackward"/> (weight
/// gradients as GEMMs over all steps at once, and the gradient w.r.t. the keys). Parameters: <c>W_a</c>
/// (general: (H, H); concat: (H, 2H)), <c>v_a</c> (concat: (H)), <c>W_c</c> (H, 2H), <c>W_p</c> and <c>v_p</c>
/// (local-p), under an optional
/// name prefix. Buffers are pooled and grow only: steady state allocates nothing. Not thread-safe.
/// </para>
/// </summary>
public sealed unsafe class LuongAttention : IParameterized, IDisposable
{
    private readonly Parameter[] _parameters;
    private readonly Parameter? _wa;
    private readonly Parameter? _va;
    private readonly Parameter _wc;
    private readonly Parameter? _wp;
    private readonly Parameter? _vp;
    private readonly Workspace _keys = new("attn_keys");                 // (S*N, H)
    private readonly Workspace _projectedKeys = new("attn_keys_proj");   // concat: (S*N, H) = keys W_a[:, H:]ᵀ
    private readonly Workspace _contextQuery = new("attn_ch");           // (steps*N, 2H): [c_t; h_t]
    private readonly Workspace _projectedQuery = new("attn_q_proj");     // general: q W_a; concat: q W_a[:, :H]ᵀ
    private readonly Workspace _tanh = new("attn_tanh");                 // concat: (steps*N*W, H) tanh(W_a [h_t; h_s]) over each window
    private readonly Workspace _weights = new("attn_weights");           // (steps*N, W) a over each row's window, W = window width
    private readonly Workspace _align = new("attn_align");               // local-p: (steps*N, W) the softmax before the Gaussian factor
    private readonly Workspace _predictor = new("attn_predictor");       // local-p: (steps*N, H) tanh(W_p h_t)
    private readonly Workspace _gradPredictor = new("attn_dpredictor");  // local-p: (steps*N, H) d/d (W_p h_t)
    private readonly Workspace _denseWeights = new("attn_dense");        // local: (N, S) LastWeights spread over the source
    private readonly Workspace _attentional = new("attn_out");           // (steps*N, H)
    private readonly Workspace _gradPre = new("attn_dpre");              // (steps*N, H): d/d (W_c [c; h])
    private readonly Workspace _gradProjectedQuery = new("attn_dq_proj");// (steps*N, H)
    private readonly Workspace _gradContextQuery = new("attn_dch");      // (N, 2H) one step
    private readonly Workspace _gradKeys = new("attn_dkeys");            // (S*N, H)
    private readonly Workspace _gradProjectedKeys = new("attn_dkeys_proj"); // concat: (S*N, H)
    private readonly Workspace _gradWeights = new("attn_dweights");      // (W)
    private int[] _lengths = [];
    private int[] _windowStart = [];   // (steps*N) first source position of each row's window
    private int[] _windowCount = [];   // (steps*N) positions in it, >= 1
    private float[] _center = [];      // (steps*N) p_t
    private int _sourceLength, _batchSize, _maxSteps, _stepCount, _backwardStep, _lastBlock, _width;
    private Phase _phase;
    private bool _disposed;

    private enum Phase { Off, Inference, Training, Backward }

    /// <param name="hiddenSize">H: width of the query, of each key and of the attentional state.</param>
    /// <param name="score">How queries and keys are compared.</param>
    /// <param name="namePrefix">Prepended to the parameter names, e.g. "attention.".</param>
    /// <param name="seed">Seed of the uniform ±1/sqrt(H) initialisation.</param>
    /// <param name="kind">Global, local-m or local-p.</param>
    /// <param name="window">D, the window's half-width (local kinds; >= 1), ignored for global.</param>
    public LuongAttention(int hiddenSize, AttentionScore score, string namePrefix = "", int seed = 0,
        AttentionKind kind = AttentionKind.Global, int window = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(hiddenSize);
        ArgumentNullException.ThrowIfNull(namePrefix);
        AttentionScores.Name(score); // validates
        AttentionKinds.Name(kind);
        if (kind != AttentionKind.Global && window < 1)
            throw new ArgumentOutOfRangeException(nameof(window), window, $"{AttentionKinds.Name(kind)} attention needs a window half-width D >= 1");
        HiddenSize = hiddenSize;
        Score = score;
        Kind = kind;
        Window = kind == AttentionKind.Global ? 0 : window;
        var list = new List<Parameter>();
        if (score == AttentionScore.General) list.Add(_wa = new Parameter(namePrefix + "W_a", hiddenSize, hiddenSize));
        if (score == AttentionScore.Concat)
        {
            list.Add(_wa = new Parameter(namePrefix + "W_a", hiddenSize, 2 * hiddenSize));
            list.Add(_va = new Parameter(namePrefix + "v_a", hiddenSize));
        }
        list.Add(_wc = new Parameter(namePrefix + "W_c", hiddenSize, 2 * hiddenSize));
        if (kind == AttentionKind.LocalPredictive)
        {
            list.Add(_wp = new Parameter(namePrefix + "W_p", hiddenSize, hiddenSize));
            list.Add(_vp = new Parameter(namePrefix + "v_p", hiddenSize));
        }
        _parameters = list.ToArray();
        ResetParameters(seed);
    }

    /// <summary>H.</summary>
    public int HiddenSize { get; }

    public AttentionScore Score { get; }

    public AttentionKind Kind { get; }

    /// <summary>D, the half-width of the local window; 0 for global attention.</summary>
    public int Window { get; }

    /// <summary>W_a (general, concat), v_a (concat), W_c, W_p and v_p (local-p).</summary>
    public IReadOnlyList<Parameter> Parameters => _parameters;

    /// <summary>S of the current keys.</summary>
    public int SourceLength => _sourceLength;

    /// <summary>N of the current keys.</summary>
    public int BatchSize => _batchSize;

    /// <summary>Every parameter uniform in [-1/sqrt(H), 1/sqrt(H)].</summary>
    public void ResetParameters(int seed) => ParameterInit.UniformFanIn(_parameters, HiddenSize, seed);

    /// <summary>
    /// Sets the memory attended over: keys (S, N, H) time-major (an encoder's output), lengths (N) valid
    /// source steps per sequence in [1, S] (empty: all S). Training tapes up to maxSteps steps;
    /// inference reuses one block and has no bound.
    /// </summary>
    public void Begin(ReadOnlySpan<float> keys, int sourceLength, int batchSize, ReadOnlySpan<int> lengths, int maxSteps = 1, bool training = false)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (sourceLength < 1) throw new ArgumentOutOfRangeException(nameof(sourceLength), sourceLength, "source length must be >= 1");
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "batch size must be >= 1");
        if (maxSteps < 1) throw new ArgumentOutOfRangeException(nameof(maxSteps), maxSteps, "maxSteps must be >= 1");
        int H = HiddenSize, S = sourceLength, N = batchSize;
        Shapes.Require(nameof(keys), keys.Length, [S, N, H], "as (S, N, H)");
        if (!lengths.IsEmpty && lengths.Length != N)
            throw new ArgumentException($"lengths must hold one value per sequence (N = {N}), got {lengths.Length}", nameof(lengths));
        for (int n = 0; n < lengths.Length; n++)
            if (lengths[n] < 1 || lengths[n] > S)
                throw new ArgumentOutOfRangeException(nameof(lengths), lengths[n], $"lengths[{n}] = {lengths[n]} is outside [1, S = {S}]");
        NativeLoader.EnsureLoaded();

        _sourceLength = S;
        _batchSize = N;
        _maxSteps = training ? maxSteps : 1;
        _stepCount = 0;
        _phase = training ? Phase.Training : Phase.Inference;
        if (_lengths.Length < N) _lengths = new int[N];
        for (int n = 0; n < N; n++) _lengths[n] = lengths.IsEmpty ? S : lengths[n];

        long rows = (long)_maxSteps * N;
        _width = Kind == AttentionKind.Global ? S : Math.Min(2 * Window + 1, S);
        if (_windowStart.Length < rows)
        {
            _windowStart = new int[rows];
            _windowCount = new int[rows];
            _center = new float[rows];
        }
        float* k = _keys.Ensure((long)S * N * H);
        keys.CopyTo(new Span<float>(k, S * N * H));
        _contextQuery.Ensure(rows * 2 * H);
        _weights.Ensure(rows * _width);
        _attentional.Ensure(rows * H);
        if (Kind == AttentionKind.LocalPredictive)
        {
            _align.Ensure(rows * _width);
            _predictor.Ensure(rows * H);
        }
        if (Score != AttentionScore.Dot) _projectedQuery.Ensure(rows * H);
        if (Score == AttentionScore.Concat)
        {
            _tanh.Ensure(rows * _width * H);
            // The key half of W_a [h_t; h_s] does not depend on the step: one GEMM for all keys.
            Gemm.Multiply(m: S * N, n: H, k: H, Matrix.Of(k, H), Matrix.Of(_wa!.DataPointer + H, 2 * H).T,
                Matrix.Of(_projectedKeys.Ensure((long)S * N * H), H));
        }
    }

    /// <summary>One decoder step: query (N, H) in, the attentional state h̃ (N, H) out.</summary>
    public void Step(ReadOnlySpan<float> query, Span<float> attentional) => Step(query, attentional, default);

    /// <summary>
    /// One decoder step whose rows may be at different decoder steps t (local-m centres its window on each
    /// row's t; beam search re-gathers rows): decoderSteps (N), each >= 0; empty: every row is at the number
    /// of steps taken since Begin. Other kinds ignore it.
    /// </summary>
    public void Step(ReadOnlySpan<float> query, Span<float> attentional, ReadOnlySpan<int> decoderSteps)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_phase is not (Phase.Inference or Phase.Training))
            throw new InvalidOperationException("Step needs Begin first (and no backward started since)");
        int N = _batchSize, H = HiddenSize;
        Shapes.Require(nameof(query), query.Length, [N, H], "as (N, H)");
        Shapes.Require(nameof(attentional), attentional.Length, [N, H], "as (N, H)");
        if (!decoderSteps.IsEmpty)
        {
            if (decoderSteps.Length != N)
                throw new ArgumentException($"decoderSteps must hold one step per row (N = {N}), got {decoderSteps.Length}", nameof(decoderSteps));
            for (int n = 0; n < N; n++)
                if (decoderSteps[n] < 0) throw new ArgumentOutOfRangeException(nameof(decoderSteps), decoderSteps[n], $"decoderSteps[{n}] must be >= 0");
        }
        if (_phase == Phase.Training && _stepCount == _maxSteps)
            throw new InvalidOperationException($"Begin reserved {_maxSteps} training steps; all are used");
        int step = _phase == Phase.Training ? _stepCount : 0;
        fixed (float* pQuery = query, pOut = attentional)
        fixed (int* pSteps = decoderSteps)
        {
            ForwardStep(pQuery, step, pSteps);
            _lastBlock = step;
            Rows.Copy(_attentional.Pointer + (long)step * N * H, H, pOut, H, N, H);
        }
        _stepCount++;
    }

    /// <summary>
    /// The attention weights of the last step since Begin, (N, S), 0 beyond each sequence's length and outside its
    /// local window (also readable after backward). For local attention this spreads the windows over a dense copy: O(S) per call.
    /// </summary>
    public ReadOnlySpan<float> LastWeights
    {
        get
        {
            RequireStepped();
            int N = _batchSize, S = _sourceLength, W = _width;
            long r0 = (long)_lastBlock * N;
            if (Kind == AttentionKind.Global) return new ReadOnlySpan<float>(_weights.Pointer + r0 * S, N * S);
            float* dense = _denseWeights.Ensure((long)N * S);
            new Span<float>(dense, N * S).Clear();
            for (int n = 0; n < N; n++)
                new ReadOnlySpan<float>(_weights.Pointer + (r0 + n) * W, _windowCount[r0 + n]).CopyTo(new Span<float>(dense + (long)n * S + _windowStart[r0 + n], S - _windowStart[r0 + n]));
            return new ReadOnlySpan<float>(dense, N * S);
        }
    }

    /// <summary>Copies the context vectors c_t of the last step into context (N, H).</summary>
    public void CopyLastContext(Span<float> context)
    {
        RequireStepped();
        int N = _batchSize, H = HiddenSize;
        Shapes.Require(nameof(context), context.Length, [N, H], "as (N, H)");
        fixed (float* p = context)
            Rows.Copy(_contextQuery.Pointer + (long)_lastBlock * N * 2 * H, 2 * H, p, H, N, H);
    }

    private void RequireStepped()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_stepCount == 0)
            throw new InvalidOperationException("no attention step was taken since Begin");
    }

    private void ForwardStep(float* query, int step, int* decoderSteps)
    {
        int N = _batchSize, H = HiddenSize, W = _width;
        long r0 = (long)step * N;
        float* ch = _contextQuery.Pointer + r0 * 2 * H;
        float* q = ch + H; // the query half of [c; h], leading dimension 2H
        Rows.Copy(query, H, q, 2 * H, N, H);
        float* qp = Score == AttentionScore.Dot ? null : _projectedQuery.Pointer + r0 * H;
        if (Score == AttentionScore.General)
            Gemm.Multiply(m: N, n: H, k: H, Matrix.Of(q, 2 * H), Matrix.Of(_wa!.DataPointer, H), Matrix.Of(qp, H));  // h_tᵀ W_a
        else if (Score == AttentionScore.Concat)
            Gemm.Multiply(m: N, n: H, k: H, Matrix.Of(q, 2 * H), Matrix.Of(_wa!.DataPointer, 2 * H).T, Matrix.Of(qp, H)); // W_a[:, :H] h_t
        float* predictor = null;
        if (Kind == AttentionKind.LocalPredictive)
        {
            predictor = _predictor.Pointer + r0 * H;
            Gemm.Multiply(m: N, n: H, k: H, Matrix.Of(q, 2 * H), Matrix.Of(_wp!.DataPointer, H).T, Matrix.Of(predictor, H)); // W_p h_t
            for (long i = 0; i < (long)N * H; i++) predictor[i] = MathF.Tanh(predictor[i]);
        }

        float* keys = _keys.Pointer;
        for (int n = 0; n < N; n++)
        {
            long row = r0 + n;
            int len = _lengths[n];
            float center = Kind switch
            {
                AttentionKind.LocalMonotonic => Math.Min(decoderSteps != null ? decoderSteps[n] : _stepCount, len - 1),
                AttentionKind.LocalPredictive => len * Sigmoid(VectorOps.Dot(_vp!.DataPointer, predictor + (long)n * H, H)),
                _ => 0f,
            };
            var (start, count) = WindowOf(center, len);
            _center[row] = center;
            _windowStart[row] = start;
            _windowCount[row] = count;
            float* a = _weights.Pointer + row * W;
            for (int j = 0; j < count; j++)
            {
                float* key = keys + ((long)(start + j) * N + n) * H;
                a[j] = Score switch
                {
                    AttentionScore.Dot => VectorOps.Dot(q + (long)n * 2 * H, key, H),
                    AttentionScore.General => VectorOps.Dot(qp + (long)n * H, key, H),
                    _ => ConcatScore(qp + (long)n * H, _projectedKeys.Pointer + ((long)(start + j) * N + n) * H, _tanh.Pointer + (row * W + j) * H),
                };
            }
            Softmax.InPlace(new Span<float>(a, count));
            new Span<float>(a + count, W - count).Clear();
            if (Kind == AttentionKind.LocalPredictive)
            {
                // Keep the softmax for backward, then favour positions near p_t (the paper's Gaussian, not renormalised).
                new ReadOnlySpan<float>(a, W).CopyTo(new Span<float>(_align.Pointer + row * W, W));
                for (int j = 0; j < count; j++) a[j] *= Gaussian(start + j, center);
            }
            // Context c_t = Σ_s a_s h_s into the first half of [c; h].
            float* c = ch + (long)n * 2 * H;
            new Span<float>(c, H).Clear();
            for (int j = 0; j < count; j++) VectorOps.AddScaled(a[j], keys + ((long)(start + j) * N + n) * H, c, H);
        }
        // h̃ = tanh(W_c [c; h]).
        float* outp = _attentional.Pointer + r0 * H;
        Gemm.Multiply(m: N, n: H, k: 2 * H, Matrix.Of(ch, 2 * H), Matrix.Of(_wc.DataPointer, 2 * H).T, Matrix.Of(outp, H));
        for (long i = 0; i < (long)N * H; i++) outp[i] = MathF.Tanh(outp[i]);
    }

    /// <summary>
    /// The source positions scored for a row with valid length len: all of them for global attention, else the
    /// integers s with |s - center| &lt;= D clipped to [0, len). Never empty: center lies in [0, len] and D >= 1
    /// (the clamps only matter for a non-finite center from diverged weights).
    /// </summary>
    private (int Start, int Count) WindowOf(float center, int len)
    {
        if (Kind == AttentionKind.Global) return (0, len);
        int start = Math.Clamp((int)MathF.Ceiling(center - Window), 0, len - 1);
        int end = Math.Clamp((int)MathF.Floor(center + Window), start, len - 1);
        return (start, end - start + 1);
    }

    /// <summary>exp(-(s - p)² / (2σ²)) with σ = D / 2.</summary>
    private float Gaussian(int s, float center)
    {
        float d = s - center;
        return MathF.Exp(-2f * d * d / (Window * Window));
    }

    private static float Sigmoid(float x) => 1f / (1f + MathF.Exp(-x));

    /// <summary>v_aᵀ tanh(u + p), keeping the tanh for backward.</summary>
    private float ConcatScore(float* u, float* p, float* e)
    {
        int H = HiddenSize;
        for (int i = 0; i < H; i++) e[i] = MathF.Tanh(u[i] + p[i]);
        return VectorOps.Dot(_va!.DataPointer, e, H);
    }

    /// <summary>Starts backward after the training steps: clears the key gradients.</summary>
    public void BeginBackward()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_phase != Phase.Training) throw new InvalidOperationException("BeginBackward follows training steps (Begin(..., training: true) then Step), once");
        int N = _batchSize, H = HiddenSize, S = _sourceLength;
        long rows = (long)_maxSteps * N;
        new Span<float>(_gradKeys.Ensure((long)S * N * H), S * N * H).Clear();
        if (Score == AttentionScore.Concat) new Span<float>(_gradProjectedKeys.Ensure((long)S * N * H), S * N * H).Clear();
        _gradPre.Ensure(rows * H);
        _gradProjectedQuery.Ensure(rows * H);
        _gradContextQuery.Ensure((long)N * 2 * H);
        _gradWeights.Ensure(_width);
        if (Kind == AttentionKind.LocalPredictive) _gradPredictor.Ensure(rows * H);
        _backwardStep = _stepCount;
        _phase = Phase.Backward;
    }

    /// <summary>
    /// Backward of the latest step not yet handled (in reverse): gradAttentional (N, H) in, the gradient
    /// w.r.t. that step's query (N, H) out. Key gradients accumulate until <see cref="EndBackward"/>.
    /// </summary>
    public void BackwardStep(ReadOnlySpan<float> gradAttentional, Span<float> gradQuery)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_phase != Phase.Backward) throw new InvalidOperationException("BackwardStep needs BeginBackward first");
        if (_backwardStep == 0) throw new InvalidOperationException($"all {_stepCount} steps were already handled; call EndBackward");
        int N = _batchSize, H = HiddenSize;
        Shapes.Require(nameof(gradAttentional), gradAttentional.Length, [N, H], "as (N, H)");
        Shapes.Require(nameof(gradQuery), gradQuery.Length, [N, H], "as (N, H)");
        _backwardStep--;
        fixed (float* pGradOut = gradAttentional, pGradQuery = gradQuery)
            BackwardAt(pGradOut, pGradQuery, _backwardStep);
    }

    private void BackwardAt(float* gradOut, float* gradQuery, int step)
    {
        int N = _batchSize, H = HiddenSize, W = _width;
        long r0 = (long)step * N;
        float* ch = _contextQuery.Pointer + r0 * 2 * H;
        float* q = ch + H;
        float* outp = _attentional.Pointer + r0 * H;
        float* dpre = _gradPre.Pointer + r0 * H;
        for (long i = 0; i < (long)N * H; i++) dpre[i] = gradOut[i] * (1f - outp[i] * outp[i]);
        // d[c; h] = dpre W_c.
        float* dch = _gradContextQuery.Pointer;
        Gemm.Multiply(m: N, n: 2 * H, k: H, Matrix.Of(dpre, H), Matrix.Of(_wc.DataPointer, 2 * H), Matrix.Of(dch, 2 * H));
        Rows.Copy(dch + H, 2 * H, gradQuery, H, N, H);

        bool predictive = Kind == AttentionKind.LocalPredictive;
        float* keys = _keys.Pointer, dkeys = _gradKeys.Pointer;
        float* dqp = Score == AttentionScore.Dot ? null : _gradProjectedQuery.Pointer + r0 * H;
        float* qp = Score == AttentionScore.Dot ? null : _projectedQuery.Pointer + r0 * H;
        float* dw = _gradWeights.Pointer;
        float* dva = Score == AttentionScore.Concat ? _va!.GradPointer : null;
        for (int n = 0; n < N; n++)
        {
            long row = r0 + n;
            int start = _windowStart[row], count = _windowCount[row];
            float center = _center[row];
            float* a = _weights.Pointer + row * W;
            // The softmax output w: a itself, or for local-p a = w g with g the Gaussian factor.
            float* w = predictive ? _align.Pointer + row * W : a;
            float* dc = dch + (long)n * 2 * H;
            // Through the context: da_s = dc · h_s, dh_s += a_s dc; then dw_s (= da_s g_s for local-p), and for
            // local-p dp_t = Σ_s da_s a_s (s - p_t) / σ² (g' = g (s - p) / σ², σ² = D² / 4).
            float dot = 0, dCenter = 0;
            for (int j = 0; j < count; j++)
            {
                long key = (long)(start + j) * N + n;
                float da = VectorOps.Dot(dc, keys + key * H, H);
                VectorOps.AddScaled(a[j], dc, dkeys + key * H, H);
                if (predictive)
                {
                    dCenter += da * a[j] * (start + j - center) * 4f / (Window * Window);
                    da *= Gaussian(start + j, center);
                }
                dw[j] = da;
                dot += w[j] * da;
            }
            // Through the softmax: dscore_s = w_s (dw_s - Σ w dw).
            if (dqp != null) new Span<float>(dqp + (long)n * H, H).Clear();
            for (int j = 0; j < count; j++)
            {
                float dscore = w[j] * (dw[j] - dot);
                long key = (long)(start + j) * N + n;
                switch (Score)
                {
                    case AttentionScore.Dot:
                        VectorOps.AddScaled(dscore, keys + key * H, gradQuery + (long)n * H, H);
                        VectorOps.AddScaled(dscore, q + (long)n * 2 * H, dkeys + key * H, H);
                        break;
                    case AttentionScore.General:
                        VectorOps.AddScaled(dscore, keys + key * H, dqp + (long)n * H, H);
                        VectorOps.AddScaled(dscore, qp + (long)n * H, dkeys + key * H, H);
                        break;
                    default:
                        // score = v·e, e = tanh(u + p): de = dscore v (1 - e²) flows to u (query) and p (key).
                        float* e = _tanh.Pointer + (row * W + j) * H;
                        float* va = _va!.DataPointer;
                        float* du = dqp + (long)n * H;
                        float* dp = _gradProjectedKeys.Pointer + key * H;
                        for (int i = 0; i < H; i++)
                        {
                            dva[i] += dscore * e[i];
                            float de = dscore * va[i] * (1f - e[i] * e[i]);
                            du[i] += de;
                            dp[i] += de;
                        }
                        break;
                }
            }
            if (predictive) PredictorBackward(dCenter, center, _lengths[n], row);
        }
        // Query gradient through the projected query: general q W_a -> dqp W_aᵀ; concat W_a[:, :H] q -> dqp W_a[:, :H].
        if (Score == AttentionScore.General)
            Gemm.Multiply(m: N, n: H, k: H, Matrix.Of(dqp, H), Matrix.Of(_wa!.DataPointer, H).T,
                Matrix.Of(gradQuery, H), beta: 1f);
        else if (Score == AttentionScore.Concat)
            Gemm.Multiply(m: N, n: H, k: H, Matrix.Of(dqp, H), Matrix.Of(_wa!.DataPointer, 2 * H), Matrix.Of(gradQuery, H), beta: 1f);
        // And through p_t: W_p h_t -> dpre W_p.
        if (predictive)
            Gemm.Multiply(m: N, n: H, k: H, Matrix.Of(_gradPredictor.Pointer + r0 * H, H), Matrix.Of(_wp!.DataPointer, H), Matrix.Of(gradQuery, H), beta: 1f);
    }

    /// <summary>
    /// local-p: p = len · sigmoid(z), z = v_pᵀ u, u = tanh(W_p h). Accumulates dv_p += dz u and keeps
    /// d(W_p h) = dz v_p (1 - u²) of this row for the query gradient and for dW_p in EndBackward.
    /// </summary>
    private void PredictorBackward(float dCenter, float center, int len, long row)
    {
        int H = HiddenSize;
        float sigmoid = center / len;
        float dz = dCenter * len * sigmoid * (1f - sigmoid);
        float* u = _predictor.Pointer + row * H;
        float* dPre = _gradPredictor.Pointer + row * H;
        float* vp = _vp!.DataPointer, dvp = _vp.GradPointer;
        for (int i = 0; i < H; i++)
        {
            dvp[i] += dz * u[i];
            dPre[i] = dz * vp[i] * (1f - u[i] * u[i]);
        }
    }

    /// <summary>Ends backward: accumulates (+=) every parameter gradient over all steps and writes gradKeys (S, N, H).</summary>
    public void EndBackward(Span<float> gradKeys)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_phase != Phase.Backward) throw new InvalidOperationException("EndBackward needs BeginBackward first");
        if (_backwardStep != 0) throw new InvalidOperationException($"{_backwardStep} steps still need BackwardStep before EndBackward");
        int N = _batchSize, H = HiddenSize, S = _sourceLength, rows = _stepCount * N;
        Shapes.Require(nameof(gradKeys), gradKeys.Length, [S, N, H], "as (S, N, H)");
        float* ch = _contextQuery.Pointer, dkeys = _gradKeys.Pointer;
        // dW_c += dpreᵀ [c; h] over every step's rows.
        Gemm.Multiply(m: H, n: 2 * H, k: rows, Matrix.Of(_gradPre.Pointer, H).T, Matrix.Of(ch, 2 * H),
            Matrix.Of(_wc.GradPointer, 2 * H), beta: 1f);
        if (Score == AttentionScore.General)
            Gemm.Multiply(m: H, n: H, k: rows, Matrix.Of(ch + H, 2 * H).T, Matrix.Of(_gradProjectedQuery.Pointer, H),
                Matrix.Of(_wa!.GradPointer, H), beta: 1f);
        else if (Score == AttentionScore.Concat)
        {
            float* dp = _gradProjectedKeys.Pointer;
            Gemm.Multiply(m: H, n: H, k: rows, Matrix.Of(_gradProjectedQuery.Pointer, H).T, Matrix.Of(ch + H, 2 * H),
                Matrix.Of(_wa!.GradPointer, 2 * H), beta: 1f);
            Gemm.Multiply(m: H, n: H, k: S * N, Matrix.Of(dp, H).T, Matrix.Of(_keys.Pointer, H),
                Matrix.Of(_wa.GradPointer + H, 2 * H), beta: 1f);
            Gemm.Multiply(m: S * N, n: H, k: H, Matrix.Of(dp, H), Matrix.Of(_wa.DataPointer + H, 2 * H),
                Matrix.Of(dkeys, H), beta: 1f);
        }
        // dW_p += d(W_p h)ᵀ h over every step's rows.
        if (Kind == AttentionKind.LocalPredictive)
            Gemm.Multiply(m: H, n: H, k: rows, Matrix.Of(_gradPredictor.Pointer, H).T, Matrix.Of(ch + H, 2 * H), Matrix.Of(_wp!.GradPointer, H), beta: 1f);
        new ReadOnlySpan<float>(dkeys, S * N * H).CopyTo(gradKeys);
        _phase = Phase.Off;
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        foreach (Workspace w in new[] { _keys, _projectedKeys, _contextQuery, _projectedQuery, _tanh, _weights, _align, _predictor,
                     _gradPredictor, _denseWeights, _attentional, _gradPre, _gradProjectedQuery, _gradContextQuery, _gradKeys, _gradProjectedKeys, _gradWeights })
            w.Dispose();
        foreach (Parameter p in _parameters) p.Dispose();
    }
}
