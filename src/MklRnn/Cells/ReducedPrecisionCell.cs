using MklRnn.Core;
using MklRnn.Interop;

namespace MklRnn.Cells;

/// <summary>
/// The inference forward of one direction of one layer with bf16 or int8 GEMMs: the same buffers, state
/// and fp32 gate kernels as the float32 <see cref="Cell"/>s, with every GEMM (input projection, recurrent
/// product, the original GRU's W_hn product, the LSTM projection) on <see cref="ReducedPrecisionWeights"/>
/// made once from the parameters (rebuilt only when a parameter's version moves or a larger batch comes).
/// For int8, the LSTM, GRU and vanilla RNN steps dequantize the recurrent product inside the shim's fused
/// step (mklrnn_*_forward_s32); the original GRU, whose two recurrent products feed two kernels, dequantizes
/// each with mklrnn_dequantize_s32. Inference only: nothing is kept for a backward.
/// The step loop calls <see cref="ProjectInput"/> once where the float32 path runs its input GEMM, then
/// <see cref="Step"/> where it calls <see cref="Cell.Forward"/> (Layers/StepLoops/ReducedPrecisionSteps).
/// </summary>
internal sealed unsafe class ReducedPrecisionCell : IDisposable
{
    private readonly Precision _precision;
    private readonly int _activation; // vanilla RNN: NativeShim.ActTanh / ActRelu
    private ReducedPrecisionWeights? _ih, _hh, _hn, _hr; // W_ih; W_hh (original GRU: W_hrz); W_hn; W_hr
    private int _ihVersion = -1, _hhVersion = -1, _hrVersion = -1;
    private ActivationQuantization _inputQuantization; // int8: of the last ProjectInput, whose int32 rows Step dequantizes
    private bool _inputProductsPerStep;                // the last ProjectInput made only the operand; each Step makes its rows' product
    private ActivationQuantization? _initialStateQuantization; // int8: h0's range over the whole batch, for a first step on part of it
    private readonly bool _boundedState; // h_t lies in [-1, 1] after any step: LSTM without projection, tanh RNN
    private readonly bool _boundedFromBoundedH0; // h_t lies in [-1, 1] when h0 does: GRU with linear before reset
    private bool _chainsCodes; // int8, this sequence: each step's kernel writes h's fixed-range codes for the next step
    private int _ldG;                    // the gate rows' leading dimension: G*H padded (SizeMath.PaddedLeadingDimension)
    private readonly int[] _chainedRows = new int[2]; // per batch half (s0 = 0 or not): rows of h whose GEMM operand (int8
                                                      // codes, bf16) the last step left in _hh's A buffer

    public ReducedPrecisionCell(Precision precision, RnnConfig config)
    {
        if (precision == Precision.Float32) throw new ArgumentOutOfRangeException(nameof(precision), precision, "float32 runs the Cell classes");
        _precision = precision;
        _activation = config.Cell == CellKind.RnnRelu ? NativeShim.ActRelu : NativeShim.ActTanh;
        _boundedState = (config.Cell == CellKind.Lstm && config.ProjSize == 0) || config.Cell == CellKind.RnnTanh;
        // h_t = (1 - z) n + z h_{t-1} with z in (0, 1) and n = tanh(...): a convex combination of values in [-1, 1].
        // (The original GRU's state kernel has no codes output; it keeps the per-step range.)
        _boundedFromBoundedH0 = config.Cell == CellKind.Gru && config.LinearBeforeReset;
    }

    /// <summary>(Re)builds the reduced weights of d that changed, for projections of up to rows rows and steps of up to batch rows.</summary>
    public void Prepare(LayerDirection d, int rows, int batch)
    {
        int H = d.H, P = d.Hout;
        _chainsCodes = false; // until StartSequence: the stepping API never chains
        _initialStateQuantization = null;
        _ldG = SizeMath.PaddedLeadingDimension(d.GH, sizeof(float));
        // The gate rows (LayerDirection.Prepare leaves them to this cell): bf16's whole-call projection keeps every
        // step's rows; int8 and products per step use a step's rows as scratch.
        bool everyStepsRows = _precision == Precision.BFloat16 && !MakesProductsPerStep(d, batch);
        d.Gates.Ensure((everyStepsRows ? rows : (long)batch) * _ldG);
        // int8: products per step write only a step's rows of W_ih's int32 result; the whole-call product all R.
        int inputAccumulatorRows = MakesProductsPerStep(d, batch) ? batch : rows;
        if (_ih == null || _ihVersion != d.Weights.WeightIh.Version || _ih.MaxM < rows)
        {
            Replace(ref _ih, d.Weights.WeightIh.Name, d.Weights.WeightIh.DataPointer, d.GH, d.I, rows, inputAccumulatorRows);
            _ihVersion = d.Weights.WeightIh.Version;
        }
        else if (_ih is Int8Weights qi) qi.ReserveAccumulatorRows(inputAccumulatorRows);
        if (_hh == null || _hhVersion != d.Weights.WeightHh.Version || _hh.MaxM < batch)
        {
            bool original = d.Config.Cell == CellKind.Gru && !d.Config.LinearBeforeReset;
            float* w = d.Weights.WeightHh.DataPointer;
            Replace(ref _hh, d.Weights.WeightHh.Name, w, original ? 2 * H : d.GH, P, batch);
            if (original) Replace(ref _hn, d.Weights.WeightHh.Name + "[W_hn]", w + 2L * H * P, H, P, batch);
            _hhVersion = d.Weights.WeightHh.Version;
        }
        if (d.Weights.WeightHr != null && (_hr == null || _hrVersion != d.Weights.WeightHr.Version || _hr.MaxM < batch))
        {
            Replace(ref _hr, d.Weights.WeightHr.Name, d.Weights.WeightHr.DataPointer, P, H, batch);
            _hrVersion = d.Weights.WeightHr.Version;
        }
    }

    /// <summary>
    /// Whether each step should make its own rows' input product (<see cref="ProjectInput"/>'s productsPerStep) for
    /// steps of stepRows rows: from <see cref="StepProductsMinRows"/> rows a step, and while the reduced W_ih fits in
    /// <see cref="StepProductsMaxWeightBytes"/>. A step's product reads all of W_ih again; it saves writing the
    /// step's rows of the whole-call (R, G*H) block to memory and reading them back. With W_ih in a core's L2 that is
    /// a gain (S7 int8 0.77x, bf16 0.75x; S6 0.97x); with W_ih from L3 each step (S1 bf16, 2 MB) none (0.98-1.16x).
    /// Measured in docs/precision.md, phase 5.
    /// </summary>
    public bool MakesProductsPerStep(LayerDirection d, int stepRows) =>
        StepProductsEnabled && stepRows >= StepProductsMinRows
        && (long)d.I * d.GH * (_precision == Precision.Int8 ? sizeof(sbyte) : sizeof(ushort)) <= StepProductsMaxWeightBytes;

    /// <summary>Below this a step's product costs more than it saves (S2, N = 1: 1.44x slower), and the whole-call block is small.</summary>
    public const int StepProductsMinRows = 8;

    /// <summary>A core's L2 on the Xeon and EPYC servers this engine targets (1-2 MB; Zen 5 here: 1 MB).</summary>
    public const long StepProductsMaxWeightBytes = 1L << 20;

    private static readonly bool StepProductsEnabled = Environment.GetEnvironmentVariable("MKLRNN_STEP_PRODUCTS") != "0"; // A/B

    /// <summary>
    /// The input projections of all steps, x (rows, I) W_ih^T. Without productsPerStep: bf16 writes the fp32 gates
    /// (rows, G*H); int8 keeps the int32 result, and <see cref="Step"/> dequantizes each step's rows inside the fused
    /// step kernel instead of a pass over all rows here. With productsPerStep (<see cref="MakesProductsPerStep"/>) only
    /// the GEMM operand is made here (x converted to bf16, or quantized to u8 on the range of all its rows, as
    /// without), and each <see cref="Step"/> multiplies its own rows just before its kernel reads the result: the
    /// same numbers, from L2.
    /// </summary>
    public void ProjectInput(LayerDirection d, float* x, int rows, bool productsPerStep = false)
    {
        _inputProductsPerStep = productsPerStep;
        switch (_ih)
        {
            case Int8Weights q:
                _inputQuantization = productsPerStep ? q.Quantize(rows, x, d.I) : q.MultiplyInt32(rows, x, d.I);
                break;
            case Bf16Weights b when productsPerStep:
                b.Convert(rows, x, d.I);
                break;
            default:
                _ih!.Multiply(rows, x, d.I, 0f, d.Gates.Pointer, _ldG);
                break;
        }
    }

    /// <summary>
    /// int8, after <see cref="Prepare"/> and with h0 (batch rows) loaded, before the steps of a whole sequence: decides
    /// whether the steps chain fixed-range codes of h (always where h is bounded whatever h0 is; for a GRU when h0 lies
    /// in [-1, 1], checked here), and with shareInitialRange makes a first (unchained) step quantize h0 on the range
    /// of all batch rows of h0 instead of the rows it runs, so threads that run halves of the batch
    /// (ReducedPrecisionBatchSplit) take the same codes as one thread running all rows: the result does not depend on
    /// the thread count.
    /// </summary>
    public void StartSequence(LayerDirection d, int batch, bool shareInitialRange)
    {
        if (_hh is not Int8Weights q) return;
        bool needRange = shareInitialRange || _boundedFromBoundedH0;
        var (min, max) = needRange ? q.MinMaxOf(batch, d.HState.Pointer, d.Hout) : (0f, 0f);
        _chainsCodes = _boundedState || (_boundedFromBoundedH0 && min >= -1f && max <= 1f);
        _initialStateQuantization = shareInitialRange ? ActivationQuantization.ForRange(min, max, Int8Weights.ActivationMax, q.Name) : null;
    }

    /// <summary>
    /// One inference step of the n rows at packed row o (the float32 Cell.Forward with s = 0, training = false).
    /// chained: the previous call was the step before this one in the same loop, and h has not been touched since
    /// (ReducedPrecisionSteps); the step may then take the GEMM operand that step's kernel wrote: int8, h's codes
    /// (fixed range, for states bounded by [-1, 1]) instead of a min/max and quantization pass; bf16 (LSTM), h
    /// converted as it was written (the same bits) instead of a conversion pass. A caller that may have changed h
    /// between steps (stepping API: beam search reorders rows) passes false. s0: the first batch row, for a caller
    /// that runs two halves of the batch at once (ReducedPrecisionBatchSplit): every row-indexed buffer and scratch is
    /// taken from row s0 on, so halves on disjoint rows never share memory.
    /// </summary>
    public void Step(LayerDirection d, LayerRows rows, int n, int o, bool chained = false, int s0 = 0)
    {
        int H = d.H, P = d.Hout, GH = d.GH;
        ref int chainedRows = ref _chainedRows[s0 == 0 ? 0 : 1];
        var qi = _ih as Int8Weights;
        // bf16: the gate rows of this step hold its fp32 input projection: ProjectInput's rows o + s0 on, or, with
        // products per step, the first rows (from s0), where it is made here. int8 keeps the projection in int32 and
        // dequantizes it in the step, so the gate rows are only the step's scratch: the first n rows, reused every
        // step, stay in L2 instead of streaming an (R, G*H) fp32 block through memory once more.
        float* gates = d.Gates.Pointer + (qi != null || _inputProductsPerStep ? (long)s0 : (long)o + s0) * _ldG;
        int ldG = _ldG;
        if (qi == null && _inputProductsPerStep) ((Bf16Weights)_ih!).MultiplyConverted(n, 0f, gates, ldG, row0: o + s0);
        float* h = d.HState.Pointer + (long)s0 * P;
        float* y = rows.Row(o + s0);
        float* bIh = d.Weights.BiasIh.DataPointer, bHh = d.Weights.BiasHh.DataPointer;
        var q = _hh as Int8Weights;
        ActivationQuantization aq = default;
        if (q != null)
        {
            // The previous step wrote the codes of rows [0, _chainedRows); rows beyond (a reverse direction with
            // lengths gains rows) still hold h0 and take the per-call range.
            if (chained && n <= chainedRows)
            {
                aq = ActivationQuantization.UnitRange(Int8Weights.ActivationMax);
                q.MultiplyQuantized(n, s0);
            }
            else
            {
                // A first step of part of the batch takes the whole batch's h0 range (StartSequence), else its rows'.
                aq = !chained && _initialStateQuantization is { } shared ? shared : q.RangeOf(n, h, P);
                q.QuantizeWith(aq, n, h, P, s0);
                q.MultiplyQuantized(n, s0);
            }
        }
        // int8, bounded states (StartSequence): the kernel also writes h_t's fixed-range codes, the next chained step's operand.
        var hqQuant = ActivationQuantization.UnitRange(Int8Weights.ActivationMax);
        byte* hq = q != null && _chainsCodes ? q.QuantizedInput + (long)s0 * P : null;
        if (q != null) chainedRows = hq != null ? n : 0; // (bf16: MultiplyBf16 reads and sets it)
        int* acc = q != null ? q.Accumulator + (long)s0 * q.AccumulatorStride : null;
        // int8: the input projection's int32 rows of this step (with products per step made here, into the first
        // rows), dequantized inside the fused step (or, for the original GRU, which has no fused step, here).
        int* accX = qi == null ? null
            : _inputProductsPerStep ? qi.Accumulator + (long)s0 * qi.AccumulatorStride
            : qi.Accumulator + ((long)o + s0) * qi.AccumulatorStride;
        if (qi != null && _inputProductsPerStep) qi.MultiplyQuantized(n, o + s0, accRow0: s0);
        int ldX = qi != null ? qi.AccumulatorStride : GH, ldAcc = q != null ? q.AccumulatorStride : GH;
        float xScale = _inputQuantization.Scale;
        int xZero = _inputQuantization.ZeroPoint;
        float* wxScale = qi != null ? qi.Scales : null;
        int* wxColSum = qi != null ? qi.ColumnSums : null;
        switch (d.Config.Cell)
        {
            case CellKind.Lstm:
            {
                float* peep = d.Weights.Peephole != null ? d.Weights.Peephole.DataPointer : null;
                float* c = d.CState.Pointer + (long)s0 * H;
                // Without a projection the kernel writes h and the output row; with one it writes m, then h = m W_hr^T.
                bool projected = _hr != null;
                float* hOut = projected ? d.M.Pointer + (long)s0 * H : h;
                float* yOut = projected ? null : y;
                if (q != null)
                    Status.ThrowIfFailed(NativeShim.LstmForwardS32(n, H, acc, ldAcc, aq.Scale, aq.ZeroPoint, q.Scales, q.ColumnSums,
                        accX, ldX, xScale, xZero, wxScale, wxColSum, gates, ldG, bIh, bHh, peep, c, H, c, H, hOut, H, yOut, rows.Stride,
                        hq, P, hqQuant.InverseScale, hqQuant.ZeroPoint, hqQuant.Max), "mklrnn_lstm_forward_s32");
                else
                {
                    // bf16: the recurrent product accumulates onto the projection rows; the step kernel also writes h's
                    // bf16 copy, the next chained product's operand (one pass per step instead of a conversion pass too).
                    // (Tried: the product into an L2 scratch with beta 0 and the kernel adding the two blocks, so the
                    // projection rows are only read: slower, MKL zeroes C for beta 0 and the kernel then waits on the
                    // projection rows that the GEMM used to fetch.)
                    ushort* hb = MultiplyBf16(n, h, P, 1f, gates, ldG, s0, chained, ref chainedRows);
                    if (projected)
                    {
                        hb = null; // h = m W_hr^T comes after the kernel: converted by the next step
                        chainedRows = 0;
                    }
                    Status.ThrowIfFailed(NativeShim.LstmForwardInfer(n, H, gates, ldG, null, 0, bIh, bHh, peep, c, H, c, H, hOut, H, yOut,
                        rows.Stride, hb, P), "mklrnn_lstm_forward_infer");
                }
                if (projected)
                {
                    _hr!.Multiply(n, hOut, H, 0f, h, P, s0);
                    Rows.Copy(h, P, y, rows.Stride, n, P);
                }
                break;
            }
            case CellKind.Gru when d.Config.LinearBeforeReset:
            {
                float* gh = d.Gh.Pointer + (long)s0 * GH; // (n, 3H)
                if (q != null)
                    Status.ThrowIfFailed(NativeShim.GruForwardS32(n, H, acc, ldAcc, aq.Scale, aq.ZeroPoint, q.Scales, q.ColumnSums,
                        accX, ldX, xScale, xZero, wxScale, wxColSum, gates, ldG, gh, GH, bIh, bHh, h, H, h, H, y, rows.Stride,
                        hq, H, hqQuant.InverseScale, hqQuant.ZeroPoint, hqQuant.Max), "mklrnn_gru_forward_s32");
                else
                {
                    ushort* hb = MultiplyBf16(n, h, H, 0f, gh, GH, s0, chained, ref chainedRows);
                    Status.ThrowIfFailed(NativeShim.GruForwardInfer(n, H, gates, ldG, gh, GH, bIh, bHh, h, H, h, H, y, rows.Stride, hb, H),
                        "mklrnn_gru_forward_infer");
                }
                break;
            }
            case CellKind.Gru:
            {
                float* ghrz = d.Gh.Pointer + (long)s0 * 2 * H, ghn = d.Ghn.Pointer + (long)s0 * H, rh = d.Rh.Pointer + (long)s0 * H; // (n, 2H), (n, H), (n, H)
                if (accX != null)
                    Status.ThrowIfFailed(NativeShim.DequantizeS32(n, GH, accX, ldX, xScale, xZero, wxScale, wxColSum, 0, gates, ldG),
                        "mklrnn_dequantize_s32");
                if (q != null)
                    Status.ThrowIfFailed(NativeShim.DequantizeS32(n, 2 * H, acc, ldAcc, aq.Scale, aq.ZeroPoint, q.Scales, q.ColumnSums,
                        0, ghrz, 2 * H), "mklrnn_dequantize_s32");
                else
                {
                    _hh!.Multiply(n, h, H, 0f, ghrz, 2 * H, s0);
                    chainedRows = 0; // the original GRU's state kernel writes no bf16 copy
                }
                Status.ThrowIfFailed(NativeShim.Gru0ForwardGates(n, H, gates, ldG, ghrz, 2 * H, bIh, bHh, h, H, rh, H), "mklrnn_gru0_forward_gates");
                _hn!.Multiply(n, rh, H, 0f, ghn, H, s0);
                Status.ThrowIfFailed(NativeShim.Gru0ForwardState(n, H, gates, ldG, ghn, H, bIh, bHh, h, H, h, H, y, rows.Stride), "mklrnn_gru0_forward_state");
                break;
            }
            default:
            {
                if (q != null)
                    Status.ThrowIfFailed(NativeShim.RnnForwardS32(_activation, n, H, acc, ldAcc, aq.Scale, aq.ZeroPoint, q.Scales, q.ColumnSums,
                        accX, ldX, xScale, xZero, wxScale, wxColSum, gates, ldG, bIh, bHh, h, H, y, rows.Stride,
                        hq, H, hqQuant.InverseScale, hqQuant.ZeroPoint, hqQuant.Max), "mklrnn_rnn_forward_s32");
                else
                {
                    ushort* hb = MultiplyBf16(n, h, H, 1f, gates, ldG, s0, chained, ref chainedRows);
                    Status.ThrowIfFailed(NativeShim.RnnForwardInfer(_activation, n, H, gates, ldG, bIh, bHh, h, H, y, rows.Stride, hb, H),
                        "mklrnn_rnn_forward_infer");
                }
                break;
            }
        }
    }

    /// <summary>
    /// bf16: C (n, Rows) = h W_hh^T + beta C, with h's bf16 copy from the previous step's kernel when the step is chained
    /// and that copy covers the rows, else converted here. Returns where this step's kernel writes h's copy for the next
    /// step (and records that it will).
    /// </summary>
    private ushort* MultiplyBf16(int n, float* h, int ldH, float beta, float* c, int ldc, int s0, bool chained, ref int chainedRows)
    {
        var b = (Bf16Weights)_hh!;
        if (chained && n <= chainedRows) b.MultiplyConverted(n, beta, c, ldc, s0);
        else b.Multiply(n, h, ldH, beta, c, ldc, s0);
        chainedRows = n;
        return b.ConvertedInput + (long)s0 * b.Cols;
    }

    private void Replace(ref ReducedPrecisionWeights? slot, string name, float* w, int rows, int cols, int maxM, int accumulatorRows = -1)
    {
        slot?.Dispose();
        slot = null; // a failed build leaves no stale weights behind
        slot = ReducedPrecisionWeights.Create(_precision, name, w, rows, cols, cols, maxM, accumulatorRows);
    }

    public void Dispose()
    {
        _ih?.Dispose();
        _hh?.Dispose();
        _hn?.Dispose();
        _hr?.Dispose();
    }
}
