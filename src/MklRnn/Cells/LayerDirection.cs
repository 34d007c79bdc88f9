using MklRnn.Memory;

namespace MklRnn.Cells;

/// <summary>
/// The call state of one direction of one layer: the <see cref="DirectionWeights"/> it runs, the
/// packed forms it holds for the call, and its work buffers, sized per call. One per direction and
/// per runner (stack or session): weights are shared, this is not. Glossary, used everywhere:
/// T steps, N batch, R = packed rows (sum of lengths), I input width, H hidden size,
/// P = Hout = width of h (projection size, or H), G gates, D directions.
/// </summary>
internal sealed unsafe class LayerDirection(DirectionWeights weights) : IDisposable
{
    private PackedDirection? _packed;

    public DirectionWeights Weights { get; } = weights;
    public RnnConfig Config => Weights.Config;
    public int Direction => Weights.Direction;
    public bool Reverse => Direction == 1;
    public int I => Weights.I;
    public int H => Weights.H;
    public int Hout => Weights.Hout;
    public int G => Weights.G;
    public int GH => G * H;

    /// <summary>The packed recurrent weights of this call (<see cref="Prepare"/>).</summary>
    public PackedDirection Packed => _packed ?? throw new InvalidOperationException("the weights were not packed for this call");

    // Work buffers. Shapes with R = plan.TotalRows; "train" = kept only in training mode.
    public readonly Workspace Gates = new("gates");     // (R, G*H): x W_ih^T, then activations, then (backward) their gradients
    public readonly Workspace Gh = new("gh");           // GRU: (R, 3H) h W_hh^T + b_hh per row (train), else (N, 3H); original GRU: (N, 2H) h W_hrz^T
    public readonly Workspace Ghn = new("ghn");         // original GRU: (N, H) (r*h) W_hn^T
    public readonly Workspace HPrev = new("hprev");     // train: (R, Hout) h_{t-1} of each row
    public readonly Workspace CPrev = new("cprev");     // train, LSTM: (R, H) c_{t-1}
    public readonly Workspace C = new("c");             // train, LSTM: (R, H) c_t
    public readonly Workspace M = new("m");             // LSTM projection: (R, H) o*tanh(c) (train), else (N, H)
    public readonly Workspace Rh = new("rh");           // original GRU: (R, H) r*h_{t-1} (train), else (N, H)
    public readonly Workspace HState = new("h");        // (N, Hout) running h
    public readonly Workspace HStateAlt = new("h_alt"); // small-batch path: (N, H) the other h of a double buffer
    public readonly Workspace CState = new("c_state");  // (N, H) running c
    public readonly Workspace DhState = new("dh");      // backward: (N, Hout) gradient w.r.t. running h
    public readonly Workspace DcState = new("dc");      // backward: (N, H) gradient w.r.t. running c
    public readonly Workspace DhP = new("dhp");         // backward, projection: (R, P) gradient w.r.t. h per row
    public readonly Workspace Scratch = new("scratch"); // backward: (N, H) dm (projection) or d(r*h) (original GRU)

    /// <summary>
    /// Sizes every buffer a call of rows packed rows and batch rows needs (no allocation when the shape
    /// did not grow) and takes the packed weights for it (repacked where the parameters changed). reducedPrecision: a
    /// reduced-precision forward packs its own weights and sizes the gate rows it uses (ReducedPrecisionCell.Prepare).
    /// </summary>
    public void Prepare(long rows, int batch, bool training, bool reducedPrecision = false)
    {
        long r = rows, n = batch;
        if (!reducedPrecision) Gates.Ensure(r * GH);
        HState.Ensure(n * Hout);
        bool lstm = Config.Cell == CellKind.Lstm, gru = Config.Cell == CellKind.Gru;
        if (lstm) CState.Ensure(n * H);
        if (gru && Config.LinearBeforeReset) Gh.Ensure((training ? r : n) * 3 * H);
        if (gru && !Config.LinearBeforeReset)
        {
            Gh.Ensure(n * 2 * H);
            Ghn.Ensure(n * H);
            Rh.Ensure((training ? r : n) * H);
        }
        if (Config.ProjSize > 0) M.Ensure((training ? r : n) * H);
        if (training)
        {
            HPrev.Ensure(r * Hout);
            if (lstm)
            {
                CPrev.Ensure(r * H);
                C.Ensure(r * H);
                DcState.Ensure(n * H);
            }
            DhState.Ensure(n * Hout);
            if (Config.ProjSize > 0) DhP.Ensure(r * Hout);
            Scratch.Ensure(n * H);
        }
        if (!reducedPrecision) _packed = Weights.Packed(batch, training);
    }

    public void Dispose()
    {
        _packed = null;
        foreach (Workspace w in new[] { HStateAlt, Gates, Gh, Ghn, HPrev, CPrev, C, M, Rh, HState, CState, DhState, DcState, DhP, Scratch })
            w.Dispose();
    }
}
