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
/// Use: <see cref="Begin"/> with the keys, then <see cref="Step"/> per decoder step. In training the steps
/// are taped (rows t*N of every buffer); backward goes <see cref="BeginBackward"/>, <see cref="BackwardStep"/>
/// per step in reverse (returns the gradient w.r.t. that step's query), <see cref="EndBackward"/> (weight
/// gradients as GEMMs over all steps at once, and the gradient w.r.t. the keys). Parameters: <c>W_a</c>
/// (general: (H, H); concat: (H, 2H)), <c>v_a</c> (concat: (H)), <c>W_c</c> (H, 2H), under an optional
/// name prefix. Buffers are pooled and grow only: steady state allocates nothing. Not thread-safe.
/// </para>
/// </summary>
public sealed unsafe class LuongAttention : IParameterized, IDisposable
{
    private readonly Parameter[] _parameters;
    private readonly Parameter? _wa;
    private readonly Parameter? _va;
    private readonly Parameter _wc;
    private readonly Workspace _keys = new("attn_keys");                 // (S*N, H)
    private readonly Workspace _projectedKeys = new("attn_keys_proj");   // concat: (S*N, H) = keys W_a[:, H:]ᵀ
    private readonly Workspace _contextQuery = new("attn_ch");           // (steps*N, 2H): [c_t; h_t]
    private readonly Workspace _projectedQuery = new("attn_q_proj");     // general: q W_a; concat: q W_a[:, :H]ᵀ
    private readonly Workspace _tanh = new("attn_tanh");                 // concat: (steps*N*S, H) tanh(W_a [h_t; h_s])
    private readonly Workspace _weights = new("attn_weights");           // (steps*N, S)
    private readonly Workspace _attentional = new("attn_out");           // (steps*N, H)
    private readonly Workspace _gradPre = new("attn_dpre");              // (steps*N, H): d/d (W_c [c; h])
    private readonly Workspace _gradProjectedQuery = new("attn_dq_proj");// (steps*N, H)
    private readonly Workspace _gradContextQuery = new("attn_dch");      // (N, 2H) one step
    private readonly Workspace _gradKeys = new("attn_dkeys");            // (S*N, H)
    private readonly Workspace _gradProjectedKeys = new("attn_dkeys_proj"); // concat: (S*N, H)
    private readonly Workspace _gradWeights = new("attn_dweights");      // (S)
    private int[] _lengths = [];
    private int _sourceLength, _batchSize, _maxSteps, _stepCount, _backwardStep, _lastBlock;
    private Phase _phase;
    private bool _disposed;

    private enum Phase { Off, Inference, Training, Backward }

    /// <param name="hiddenSize">H: width of the query, of each key and of the attentional state.</param>
    /// <param name="score">How queries and keys are compared.</param>
    /// <param name="namePrefix">Prepended to the parameter names, e.g. "attention.".</param>
    /// <param name="seed">Seed of the uniform ±1/sqrt(H) initialisation.</param>
    public LuongAttention(int hiddenSize, AttentionScore score, string namePrefix = "", int seed = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(hiddenSize);
        ArgumentNullException.ThrowIfNull(namePrefix);
        AttentionScores.Name(score); // validates
        HiddenSize = hiddenSize;
        Score = score;
        var list = new List<Parameter>();
        if (score == AttentionScore.General) list.Add(_wa = new Parameter(namePrefix + "W_a", hiddenSize, hiddenSize));
        if (score == AttentionScore.Concat)
        {
            list.Add(_wa = new Parameter(namePrefix + "W_a", hiddenSize, 2 * hiddenSize));
            list.Add(_va = new Parameter(namePrefix + "v_a", hiddenSize));
        }
        list.Add(_wc = new Parameter(namePrefix + "W_c", hiddenSize, 2 * hiddenSize));
        _parameters = list.ToArray();
        ResetParameters(seed);
    }

    /// <summary>H.</summary>
    public int HiddenSize { get; }

    public AttentionScore Score { get; }

    /// <summary>W_a (general, concat), v_a (concat), W_c.</summary>
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
        float* k = _keys.Ensure((long)S * N * H);
        keys.CopyTo(new Span<float>(k, S * N * H));
        _contextQuery.Ensure(rows * 2 * H);
        _weights.Ensure(rows * S);
        _attentional.Ensure(rows * H);
        if (Score != AttentionScore.Dot) _projectedQuery.Ensure(rows * H);
        if (Score == AttentionScore.Concat)
        {
            _tanh.Ensure(rows * S * H);
            // The key half of W_a [h_t; h_s] does not depend on the step: one GEMM for all keys.
            Gemm.Multiply(m: S * N, n: H, k: H, Matrix.Of(k, H), Matrix.Of(_wa!.DataPointer + H, 2 * H).T,
                Matrix.Of(_projectedKeys.Ensure((long)S * N * H), H));
        }
    }

    /// <summary>One decoder step: query (N, H) in, the attentional state h̃ (N, H) out.</summary>
    public void Step(ReadOnlySpan<float> query, Span<float> attentional)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_phase is not (Phase.Inference or Phase.Training))
            throw new InvalidOperationException("Step needs Begin first (and no backward started since)");
        int N = _batchSize, H = HiddenSize;
        Shapes.Require(nameof(query), query.Length, [N, H], "as (N, H)");
        Shapes.Require(nameof(attentional), attentional.Length, [N, H], "as (N, H)");
        if (_phase == Phase.Training && _stepCount == _maxSteps)
            throw new InvalidOperationException($"Begin reserved {_maxSteps} training steps; all are used");
        int step = _phase == Phase.Training ? _stepCount : 0;
        fixed (float* pQuery = query, pOut = attentional)
        {
            ForwardStep(pQuery, step);
            _lastBlock = step;
            Rows.Copy(_attentional.Pointer + (long)step * N * H, H, pOut, H, N, H);
        }
        _stepCount++;
    }

    /// <summary>The attention weights of the last step since Begin, (N, S), 0 beyond each sequence's length (also readable after backward).</summary>
    public ReadOnlySpan<float> LastWeights
    {
        get
        {
            RequireStepped();
            return new ReadOnlySpan<float>(_weights.Pointer + (long)_lastBlock * _batchSize * _sourceLength, _batchSize * _sourceLength);
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

    private void ForwardStep(float* query, int step)
    {
        int N = _batchSize, H = HiddenSize, S = _sourceLength;
        long r0 = (long)step * N;
        float* ch = _contextQuery.Pointer + r0 * 2 * H;
        float* q = ch + H; // the query half of [c; h], leading dimension 2H
        Rows.Copy(query, H, q, 2 * H, N, H);
        float* qp = Score == AttentionScore.Dot ? null : _projectedQuery.Pointer + r0 * H;
        if (Score == AttentionScore.General)
            Gemm.Multiply(m: N, n: H, k: H, Matrix.Of(q, 2 * H), Matrix.Of(_wa!.DataPointer, H), Matrix.Of(qp, H));  // h_tᵀ W_a
        else if (Score == AttentionScore.Concat)
            Gemm.Multiply(m: N, n: H, k: H, Matrix.Of(q, 2 * H), Matrix.Of(_wa!.DataPointer, 2 * H).T,
                Matrix.Of(qp, H)); // W_a[:, :H] h_t

        float* keys = _keys.Pointer;
        float* alpha = _weights.Pointer + r0 * S;
        for (int n = 0; n < N; n++)
        {
            float* a = alpha + (long)n * S;
            int len = _lengths[n];
            for (int s = 0; s < len; s++)
            {
                float* key = keys + ((long)s * N + n) * H;
                a[s] = Score switch
                {
                    AttentionScore.Dot => VectorOps.Dot(q + (long)n * 2 * H, key, H),
                    AttentionScore.General => VectorOps.Dot(qp + (long)n * H, key, H),
                    _ => ConcatScore(qp + (long)n * H, _projectedKeys.Pointer + ((long)s * N + n) * H,
                        _tanh.Pointer + ((r0 + n) * S + s) * H),
                };
            }
            Softmax.InPlace(new Span<float>(a, len));
            new Span<float>(a + len, S - len).Clear();
            // Context c_t = Σ_s a_s h_s into the first half of [c; h].
            float* c = ch + (long)n * 2 * H;
            new Span<float>(c, H).Clear();
            for (int s = 0; s < len; s++) VectorOps.AddScaled(a[s], keys + ((long)s * N + n) * H, c, H);
        }
        // h̃ = tanh(W_c [c; h]).
        float* outp = _attentional.Pointer + r0 * H;
        Gemm.Multiply(m: N, n: H, k: 2 * H, Matrix.Of(ch, 2 * H), Matrix.Of(_wc.DataPointer, 2 * H).T, Matrix.Of(outp, H));
        for (long i = 0; i < (long)N * H; i++) outp[i] = MathF.Tanh(outp[i]);
    }

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
        _gradWeights.Ensure(S);
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
        int N = _batchSize, H = HiddenSize, S = _sourceLength;
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

        float* keys = _keys.Pointer, dkeys = _gradKeys.Pointer;
        float* alpha = _weights.Pointer + r0 * S;
        float* dqp = Score == AttentionScore.Dot ? null : _gradProjectedQuery.Pointer + r0 * H;
        float* qp = Score == AttentionScore.Dot ? null : _projectedQuery.Pointer + r0 * H;
        float* da = _gradWeights.Pointer;
        float* dva = Score == AttentionScore.Concat ? _va!.GradPointer : null;
        for (int n = 0; n < N; n++)
        {
            float* a = alpha + (long)n * S;
            float* dc = dch + (long)n * 2 * H;
            int len = _lengths[n];
            // Through the context: da_s = dc · h_s, dh_s += a_s dc.
            float dot = 0;
            for (int s = 0; s < len; s++)
            {
                long row = (long)s * N + n;
                da[s] = VectorOps.Dot(dc, keys + row * H, H);
                VectorOps.AddScaled(a[s], dc, dkeys + row * H, H);
                dot += a[s] * da[s];
            }
            // Through the softmax: dscore_s = a_s (da_s - Σ a da).
            if (dqp != null) new Span<float>(dqp + (long)n * H, H).Clear();
            for (int s = 0; s < len; s++)
            {
                float dscore = a[s] * (da[s] - dot);
                long row = (long)s * N + n;
                switch (Score)
                {
                    case AttentionScore.Dot:
                        VectorOps.AddScaled(dscore, keys + row * H, gradQuery + (long)n * H, H);
                        VectorOps.AddScaled(dscore, q + (long)n * 2 * H, dkeys + row * H, H);
                        break;
                    case AttentionScore.General:
                        VectorOps.AddScaled(dscore, keys + row * H, dqp + (long)n * H, H);
                        VectorOps.AddScaled(dscore, qp + (long)n * H, dkeys + row * H, H);
                        break;
                    default:
                        // score = v·e, e = tanh(u + p): de = dscore v (1 - e²) flows to u (query) and p (key).
                        float* e = _tanh.Pointer + ((r0 + n) * S + s) * H;
                        float* va = _va!.DataPointer;
                        float* du = dqp + (long)n * H;
                        float* dp = _gradProjectedKeys.Pointer + row * H;
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
        }
        // Query gradient through the projected query: general q W_a -> dqp W_aᵀ; concat W_a[:, :H] q -> dqp W_a[:, :H].
        if (Score == AttentionScore.General)
            Gemm.Multiply(m: N, n: H, k: H, Matrix.Of(dqp, H), Matrix.Of(_wa!.DataPointer, H).T,
                Matrix.Of(gradQuery, H), beta: 1f);
        else if (Score == AttentionScore.Concat)
            Gemm.Multiply(m: N, n: H, k: H, Matrix.Of(dqp, H), Matrix.Of(_wa!.DataPointer, 2 * H),
                Matrix.Of(gradQuery, H), beta: 1f);
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
        new ReadOnlySpan<float>(dkeys, S * N * H).CopyTo(gradKeys);
        _phase = Phase.Off;
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        foreach (Workspace w in new[] { _keys, _projectedKeys, _contextQuery, _projectedQuery, _tanh, _weights, _attentional,
                     _gradPre, _gradProjectedQuery, _gradContextQuery, _gradKeys, _gradProjectedKeys, _gradWeights })
            w.Dispose();
        foreach (Parameter p in _parameters) p.Dispose();
    }
}
