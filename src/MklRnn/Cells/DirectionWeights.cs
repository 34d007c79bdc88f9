using MklRnn.Core;
using MklRnn.Interop;
using MklRnn.Memory;

namespace MklRnn.Cells;

/// <summary>
/// The weights of one direction of one layer: its parameters (PyTorch names) and their packed forms,
/// shared by every <see cref="LayerDirection"/> (call state) that runs them. Packing is the only
/// mutation and happens under a lock, when a parameter's version moved or a call needs more rows;
/// the parameters themselves must not change while calls run on them.
/// </summary>
internal sealed unsafe class DirectionWeights : IDisposable
{
    private readonly object _packLock = new();
    private PackedDirection _packed = new(1);
    private readonly Workspace _panels = new("panels");
    private int _panelsVersion = -1;

    public DirectionWeights(RnnConfig config, int layer, int direction, string namePrefix = "")
    {
        Config = config;
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
    public int Direction { get; }
    public int I { get; }
    public int H { get; }
    public int Hout { get; }
    public int G { get; }

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

    /// <summary>
    /// The packed recurrent weights for A operands of up to maxRows rows, repacked where a parameter
    /// changed since (forward forms; backward ones too in training). Thread-safe.
    /// </summary>
    public PackedDirection Packed(int maxRows, bool training)
    {
        lock (_packLock)
        {
            if (_packed.MaxRows < maxRows) _packed = new PackedDirection(maxRows); // the old set stays valid for its holders
            PackedDirection p = _packed;
            bool original = Config.Cell == CellKind.Gru && !Config.LinearBeforeReset;
            float* w = WeightHh.DataPointer;
            int rz = original ? 2 * H : G * H; // rows of W_hh used by the first recurrent GEMM
            Repack(p.HhForward, WeightHh.Version, w, rz, Hout, transposed: true);
            if (original) Repack(p.HnForward, WeightHh.Version, w + 2L * H * Hout, H, Hout, transposed: true);
            if (training)
            {
                Repack(p.HhBackward, WeightHh.Version, w, rz, Hout, transposed: false);
                if (original) Repack(p.HnBackward, WeightHh.Version, w + 2L * H * Hout, H, Hout, transposed: false);
            }
            if (WeightHr != null)
            {
                Repack(p.HrForward, WeightHr.Version, WeightHr.DataPointer, Hout, H, transposed: true);
                if (training) Repack(p.HrBackward, WeightHr.Version, WeightHr.DataPointer, Hout, H, transposed: false);
            }
            return p;

            void Repack(PackedWeights packed, int version, float* source, int rows, int cols, bool transposed)
            {
                if (!packed.IsCurrent(version, p.MaxRows)) packed.Pack(source, rows, cols, cols, transposed, p.MaxRows, version);
            }
        }
    }

    /// <summary>W_hh re-laid into the small-batch kernels' column panels, redone when it changed. Thread-safe.</summary>
    public float* Panels()
    {
        lock (_packLock)
        {
            if (_panelsVersion != WeightHh.Version)
            {
                long size = NativeShim.PanelSize(G, H, Hout);
                if (size < 0) throw new InvalidOperationException($"no column panels for G={G} H={H}");
                Status.ThrowIfFailed(NativeShim.PackPanels(G, H, Hout, WeightHh.DataPointer, Hout, _panels.Ensure(size)), "mklrnn_pack_panels");
                _panelsVersion = WeightHh.Version;
            }
            return _panels.Pointer;
        }
    }

    public void Dispose()
    {
        foreach (Parameter p in Parameters()) p.Dispose();
        _packed.Dispose();
        _panels.Dispose();
    }
}
