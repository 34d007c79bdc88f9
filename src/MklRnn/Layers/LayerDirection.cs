using MklRnn.Core;
using MklRnn.Memory;

namespace MklRnn.Layers;

/// <summary>
/// One direction of one layer: its parameters (PyTorch names), their packed GEMM forms, and the
/// work buffers of a call, sized from the <see cref="SequencePlan"/>. Glossary, used everywhere:
/// T steps, N batch, R = packed rows (sum of lengths), I input width, H hidden size,
/// P = Hout = width of h (projection size, or H), G gates, D directions.
/// </summary>
internal sealed unsafe class LayerDirection : IDisposable
{
    public LayerDirection(RnnConfig config, int layer, int direction, string namePrefix = "")
    {
        Config = config;
        Layer = layer;
        Direction = direction;
        I = config.LayerInputSize(layer);
        H = config.HiddenSize;
        Hout = config.OutputHiddenSize;
        G = config.GateCount;
        string suffix = $"_l{layer}" + (direction == 1 ? "_reverse" : "");
        WeightIh = new Parameter(namePrefix + "weight_ih" + suffix, G * H, I);
        WeightHh = new Parameter(namePrefix + "weight_hh" + suffix, G * H, Hout);
        BiasIh = new Parameter(namePrefix + "bias_ih" + suffix, G * H);
        BiasHh = new Parameter(namePrefix + "bias_hh" + suffix, G * H);
        if (config.ProjSize > 0) WeightHr = new Parameter(namePrefix + "weight_hr" + suffix, config.ProjSize, H);
        if (config.Peephole) Peephole = new Parameter(namePrefix + "weight_peephole" + suffix, 3, H);
    }

    public RnnConfig Config { get; }
    public int Layer { get; }
    public int Direction { get; }
    public bool Reverse => Direction == 1;
    public int I { get; }
    public int H { get; }
    public int Hout { get; }
    public int G { get; }
    public int GH => G * H;

    public Parameter WeightIh { get; }
    public Parameter WeightHh { get; }
    public Parameter BiasIh { get; }
    public Parameter BiasHh { get; }
    public Parameter? WeightHr { get; }
    public Parameter? Peephole { get; }

    /// <summary>In PyTorch's state_dict order: weight_ih, weight_hh, bias_ih, bias_hh, weight_hr; then peepholes.</summary>
    public IEnumerable<Parameter> Parameters()
    {
        yield return WeightIh;
        yield return WeightHh;
        yield return BiasIh;
        yield return BiasHh;
        if (WeightHr != null) yield return WeightHr;
        if (Peephole != null) yield return Peephole;
    }

    // Packed GEMM operands, rebuilt when the parameter version moves.
    /// <summary>W_hh as B of h W_hh^T (forward); for the original GRU, rows [0, 2H) only (W_hrz).</summary>
    public readonly PackedWeights HhForward = new();
    /// <summary>Original GRU: rows [2H, 3H) of W_hh (W_hn), as B of (r*h) W_hn^T.</summary>
    public readonly PackedWeights HnForward = new();
    /// <summary>LSTM projection: W_hr as B of m W_hr^T.</summary>
    public readonly PackedWeights HrForward = new();
    /// <summary>Backward: W_hh as B of dG W_hh (original GRU: W_hrz).</summary>
    public readonly PackedWeights HhBackward = new();
    /// <summary>Backward, original GRU: W_hn as B of dn W_hn.</summary>
    public readonly PackedWeights HnBackward = new();
    /// <summary>Backward, LSTM projection: W_hr as B of dh W_hr.</summary>
    public readonly PackedWeights HrBackward = new();

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
    public readonly Workspace Panels = new("panels");   // small-batch path: W_hh re-laid in column panels
    public readonly Workspace CState = new("c_state");  // (N, H) running c
    public readonly Workspace DhState = new("dh");      // backward: (N, Hout) gradient w.r.t. running h
    public readonly Workspace DcState = new("dc");      // backward: (N, H) gradient w.r.t. running c
    public readonly Workspace DhP = new("dhp");         // backward, projection: (R, P) gradient w.r.t. h per row
    public readonly Workspace Scratch = new("scratch"); // backward: (N, H) dm (projection) or d(r*h) (original GRU)

    // Set by the stack before each run of the step loop.
    /// <summary>Layer output rows (R, D*Hout); this direction writes columns [Direction*Hout, +Hout).</summary>
    public float* Y;
    public int LdY;
    /// <summary>Backward: gradient w.r.t. Y, same layout.</summary>
    public float* DY;

    /// <summary>Sizes every buffer this call needs (no allocation when the shape did not grow).</summary>
    public void Reserve(SequencePlan plan, bool training)
    {
        long r = plan.TotalRows, n = plan.BatchSize;
        Gates.Ensure(r * GH);
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
    }

    /// <summary>Repacks the recurrent weights that changed since their last pack (forward, and backward in training).</summary>
    public void PackWeights(int maxRows, bool training)
    {
        bool original = Config.Cell == CellKind.Gru && !Config.LinearBeforeReset;
        float* w = WeightHh.DataPointer;
        int version = WeightHh.Version;
        int rz = original ? 2 * H : GH; // rows of W_hh used by the first recurrent GEMM
        Repack(HhForward, w, rz, Hout, transposed: true);
        if (original) Repack(HnForward, w + 2L * H * Hout, H, Hout, transposed: true);
        if (training)
        {
            Repack(HhBackward, w, rz, Hout, transposed: false);
            if (original) Repack(HnBackward, w + 2L * H * Hout, H, Hout, transposed: false);
        }
        if (WeightHr != null)
        {
            version = WeightHr.Version;
            Repack(HrForward, WeightHr.DataPointer, Hout, H, transposed: true);
            if (training) Repack(HrBackward, WeightHr.DataPointer, Hout, H, transposed: false);
        }

        void Repack(PackedWeights packed, float* source, int rows, int cols, bool transposed)
        {
            if (!packed.IsCurrent(version, maxRows)) packed.Pack(source, rows, cols, cols, transposed, maxRows, version);
        }
    }

    private int _panelsVersion = -1;

    /// <summary>Re-lays W_hh into the small-batch kernels' column panels when it changed.</summary>
    public void PackPanels()
    {
        if (_panelsVersion == WeightHh.Version) return;
        long size = Interop.NativeShim.PanelSize(G, H, Hout);
        if (size < 0) throw new InvalidOperationException($"no column panels for G={G} H={H}");
        Interop.Status.ThrowIfFailed(Interop.NativeShim.PackPanels(G, H, Hout, WeightHh.DataPointer, Hout, Panels.Ensure(size)), "mklrnn_pack_panels");
        _panelsVersion = WeightHh.Version;
    }

    public void Dispose()
    {
        foreach (Parameter p in Parameters()) p.Dispose();
        HhForward.Dispose();
        HnForward.Dispose();
        HrForward.Dispose();
        HhBackward.Dispose();
        HnBackward.Dispose();
        HrBackward.Dispose();
        foreach (Workspace w in new[] { HStateAlt, Panels, Gates, Gh, Ghn, HPrev, CPrev, C, M, Rh, HState, CState, DhState, DcState, DhP, Scratch })
            w.Dispose();
    }
}
