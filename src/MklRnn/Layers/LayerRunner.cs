using MklRnn.Cells;
using MklRnn.Core;
using MklRnn.Layers.StepLoops;
using MklRnn.Memory;
using MklRnn.Threading;

namespace MklRnn.Layers;

/// <summary>
/// Runs one layer of a stack forward or backward: each direction's state in and out (batch order to
/// packed order), its step loop (picked by <see cref="StepLoopChooser"/>, recorded for tests), and in
/// backward its weight gradients; the two directions of a bidirectional layer at once on the
/// <see cref="ThreadPair"/>. The stack around it keeps the API, validation, layout copies, dropout and tape.
/// </summary>
internal sealed unsafe class LayerRunner
{
    private readonly LayerDirection[] _cells; // [layer * D + direction]
    private readonly Cell _cell;
    private readonly SequencePlan _plan;
    private readonly RowLayout _layout;
    private readonly ThreadPair _pair;
    private readonly Action<int> _forwardDirection;
    private readonly Action<int> _backwardDirection;
    private readonly Action<int, int> _directionsOnPair;
    private readonly SerialSteps _serial;
    private Action<int>? _directionJob;
    private ColumnSplitSteps? _columnSplit;
    private BatchSplitSteps? _batchSplit;
    private ReducedPrecisionBatchSplit? _reducedBatchSplit;
    private CallState _call;

    public LayerRunner(RnnConfig config, LayerDirection[] cells, Cell cell, SequencePlan plan, RowLayout layout, ThreadPair pair)
    {
        Config = config;
        _cells = cells;
        _cell = cell;
        _plan = plan;
        _layout = layout;
        _pair = pair;
        _serial = new SerialSteps(cell);
        _forwardDirection = ForwardDirection;
        _backwardDirection = BackwardDirection;
        // Direction d on pair thread d (both on one thread when the team grants one).
        _directionsOnPair = (thread, threads) =>
        {
            for (int d = thread; d < Config.Directions; d += threads) _directionJob!(d);
        };
    }

    public RnnConfig Config { get; }

    /// <summary>May use a second core (RecurrentStack.UseSideThread).</summary>
    public bool TwoThreads { get; set; } = Environment.ProcessorCount >= 2;

    /// <summary>Inference GEMMs in bf16/int8 per direction (RecurrentStack.PrepareInference), or null for float32.</summary>
    public ReducedPrecisionCell[]? Reduced { get; set; }

    /// <summary>The step loop the last Forward / Backward ran (both directions run the same kind).</summary>
    public StepLoopKind LastForwardLoop { get; private set; }
    public StepLoopKind LastBackwardLoop { get; private set; }

    /// <summary>
    /// Layer l forward: input x (R, I) to output y (R, D*Hout); h0/c0 initial and hN/cN final states
    /// ((L*D, N, ...) tensors in batch order, or null).
    /// </summary>
    public void Forward(int l, float* x, float* y, float* h0, float* c0, float* hN, float* cN, bool training)
    {
        _call = new CallState { Layer = l, X = x, Y = y, H0 = h0, C0 = c0, HN = hN, CN = cN, Training = training };
        RunDirections(_forwardDirection);
    }

    /// <summary>
    /// Layer l backward from its output gradient dy: each direction's share of the input gradient (dx,
    /// dxReverse), gradH0/gradC0 from gradHn/gradCn (null: none), every weight gradient accumulated.
    /// </summary>
    public void Backward(int l, float* x, float* y, float* dy, float* dx, float* dxReverse,
        float* gradH0, float* gradC0, float* gradHn, float* gradCn)
    {
        _call = new CallState { Layer = l, X = x, Y = y, DY = dy, DX = dx, DXReverse = dxReverse, H0 = gradH0, C0 = gradC0, HN = gradHn, CN = gradCn };
        RunDirections(_backwardDirection);
    }

    /// <summary>
    /// Runs a per-direction job for both directions of the layer in <see cref="_call"/> at once, one per
    /// thread of the <see cref="ThreadPair"/> (MKL's team, or this thread and the side thread), each with
    /// MKL single-threaded, so the two cores are shared out by direction instead of by GEMM.
    /// </summary>
    private void RunDirections(Action<int> job)
    {
        if (Config.Directions == 1 || !TwoThreads)
        {
            // One direction at a time on this thread: the shim's kernels split large blocks over as many
            // threads as MKL uses (same OpenMP pool), instead of leaving the other cores idle.
            using var kernelThreads = KernelThreadScope.MatchMkl();
            for (int d = 0; d < Config.Directions; d++) job(d);
            return;
        }
        _directionJob = job;
        _pair.Run(_directionsOnPair);
    }

    /// <summary>Forward of one direction of layer _call.Layer: its step loop (with the input projection), then the final state.</summary>
    private void ForwardDirection(int d)
    {
        CallState call = _call;
        int s = call.Layer * Config.Directions + d;
        LayerDirection ld = _cells[s];
        ReducedPrecisionCell? reduced = call.Training ? null : Reduced?[s];
        ld.Prepare(_plan.TotalRows, _plan.BatchSize, call.Training, reducedPrecision: reduced != null);
        LoadState(call.H0, call.C0, s, ld);
        var y = LayerRows.OfDirection(call.Y, Config.OutputSize, d, ld.Hout);
        if (reduced != null && ReducedPrecisionBatchSplit.Applies(Config, _plan, TwoThreads))
        {
            LastForwardLoop = StepLoopKind.ReducedPrecisionBatchSplit;
            (_reducedBatchSplit ??= new ReducedPrecisionBatchSplit(_pair)).Forward(reduced, ld, _plan, call.X, y);
        }
        else if (reduced != null)
        {
            LastForwardLoop = StepLoopKind.ReducedPrecision;
            ReducedPrecisionSteps.Forward(reduced, ld, _plan, call.X, y);
        }
        else
        {
            StepLoop loop = Loop(StepLoopChooser.Choose(Config, _plan, call.Training, TwoThreads));
            LastForwardLoop = loop.Kind;
            loop.Forward(ld, _plan, call.X, y, call.Training);
        }
        StoreState(call.HN, call.CN, s, ld);
    }

    /// <summary>Backward of one direction of layer _call.Layer: its step loop (with its share of dx), then its weight gradients.</summary>
    private void BackwardDirection(int d)
    {
        CallState call = _call;
        int s = call.Layer * Config.Directions + d, width = Config.OutputSize;
        LayerDirection ld = _cells[s];
        LoadGradState(call.HN, call.CN, s, ld);
        StepLoop loop = Loop(StepLoopChooser.Choose(Config, _plan, training: true, TwoThreads));
        LastBackwardLoop = loop.Kind;
        loop.Backward(ld, _plan, LayerRows.OfDirection(call.Y, width, d, ld.Hout), LayerRows.OfDirection(call.DY, width, d, ld.Hout),
            d == 0 ? call.DX : call.DXReverse);
        StoreGradState(call.H0, call.C0, s, ld);
        AccumulateWeightGradients(ld, call.X, _plan.TotalRows);
    }

    private StepLoop Loop(StepLoopKind kind) => kind switch
    {
        StepLoopKind.ColumnSplit => _columnSplit ??= new ColumnSplitSteps(_pair),
        StepLoopKind.BatchSplit => _batchSplit ??= new BatchSplitSteps(_cell, _pair),
        _ => _serial,
    };

    /// <summary>The arguments of the layer being run, shared with the side thread.</summary>
    private struct CallState
    {
        public int Layer;
        public bool Training;
        public float* X;   // layer input (R, I)
        public float* Y;   // layer output (R, D*Hout)
        public float* DY;  // backward: gradient w.r.t. the layer output
        public float* DX, DXReverse; // backward: each direction's share of the gradient w.r.t. the layer input
        public float* H0, C0, HN, CN; // forward: initial / final states; backward: gradH0, gradC0, gradHn, gradCn
    }

    /// <summary>After a backward loop over R rows: every weight and bias gradient of ld, as GEMMs over all rows.</summary>
    public void AccumulateWeightGradients(LayerDirection ld, float* x, int rows)
    {
        _cell.AccumulateRecurrentGradients(ld, rows);
        Gemm.Multiply(m: ld.GH, n: ld.I, k: rows, Matrix.Of(ld.Gates.Pointer, ld.GH).T, Matrix.Of(x, ld.I),
            Matrix.Of(ld.Weights.WeightIh.GradPointer, ld.I), beta: 1f);
    }

    /// <summary>Running state of (layer, direction) index s from h0/c0 (batch order -> packed order), or zeros.</summary>
    public void LoadState(float* h0, float* c0, int s, LayerDirection ld) => Load(h0, c0, s, ld, ld.HState, ld.CState);

    public void StoreState(float* hN, float* cN, int s, LayerDirection ld) => Store(hN, cN, s, ld, ld.HState, ld.CState);

    /// <summary>Running state gradient of index s from gradHn/gradCn, or zeros.</summary>
    public void LoadGradState(float* gradHn, float* gradCn, int s, LayerDirection ld) => Load(gradHn, gradCn, s, ld, ld.DhState, ld.DcState);

    public void StoreGradState(float* gradH0, float* gradC0, int s, LayerDirection ld) => Store(gradH0, gradC0, s, ld, ld.DhState, ld.DcState);

    /// <summary>h rows (Hout wide) and, for LSTM, c rows (H wide) of index s of (S, N, ...) tensors into the running buffers.</summary>
    private void Load(float* h, float* c, int s, LayerDirection ld, Workspace hRows, Workspace cRows)
    {
        _layout.LoadState(h, s, ld.Hout, hRows.Pointer);
        if (Config.Cell == CellKind.Lstm) _layout.LoadState(c, s, ld.H, cRows.Pointer);
    }

    private void Store(float* h, float* c, int s, LayerDirection ld, Workspace hRows, Workspace cRows)
    {
        _layout.StoreState(hRows.Pointer, s, ld.Hout, h);
        if (Config.Cell == CellKind.Lstm) _layout.StoreState(cRows.Pointer, s, ld.H, c);
    }
}
