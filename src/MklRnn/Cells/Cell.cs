using MklRnn.Core;
using MklRnn.Interop;
using MklRnn.Layers;

namespace MklRnn.Cells;

/// <summary>
/// The per-step math of one cell family: the recurrent GEMM(s) against packed weights and the fused
/// element-wise kernel(s) of the C shim, forward and backward. The time loop, the input projection
/// (one GEMM over all R rows) and the input-weight gradients are the same for every cell and live in
/// <see cref="RecurrentStack"/>. A step covers the n rows running at packed offset o.
/// Invariants: d.Gates row o holds x W_ih^T before Forward; d.HState holds h_{t-1} (rows [0, n)).
/// Backward overwrites d.Gates rows with the gradient w.r.t. the input-side pre-activations (dG) and
/// leaves d.DhState (and d.DcState) holding the gradient w.r.t. h_{t-1} (c_{t-1}).
/// </summary>
internal abstract unsafe class Cell
{
    public static Cell For(RnnConfig config) => config.Cell switch
    {
        CellKind.Lstm => new LstmCell(),
        CellKind.Gru when config.LinearBeforeReset => new GruCell(),
        CellKind.Gru => new OriginalGruCell(),
        CellKind.RnnRelu => new VanillaRnnCell(NativeShim.ActRelu),
        _ => new VanillaRnnCell(NativeShim.ActTanh),
    };

    /// <summary>One step forward; in training keeps what <see cref="Backward"/> needs at row o.</summary>
    public abstract void Forward(LayerDirection d, int n, int o, bool training);

    /// <summary>One step backward (steps visited in the reverse of the forward's order).</summary>
    public abstract void Backward(LayerDirection d, int n, int o);

    /// <summary>After the backward loop: W_hh, bias (and W_hr) gradients as GEMMs over all R rows; accumulates.</summary>
    public abstract void AccumulateRecurrentGradients(LayerDirection d, int rows);

    /// <summary>This step's slice of the layer output for d's direction.</summary>
    protected static float* OutputRows(LayerDirection d, int o) => d.Y + (long)o * d.LdY + d.Direction * d.Hout;

    /// <summary>This step's slice of the gradient w.r.t. the layer output.</summary>
    protected static float* OutputGradRows(LayerDirection d, int o) => d.DY + (long)o * d.LdY + d.Direction * d.Hout;

    /// <summary>In training, saves h_{t-1} of the n running rows at packed row o.</summary>
    protected static void SaveHPrev(LayerDirection d, int n, int o) =>
        Rows.Copy(d.HState.Pointer, d.Hout, d.HPrev.Pointer + (long)o * d.Hout, d.Hout, n, d.Hout);

    /// <summary>bias_ih and bias_hh gradients += column sums of a (rows, G*H) gradient block.</summary>
    protected static void AccumulateBiasGradients(float* dIh, float* dHh, int rows, int width, Parameter bIh, Parameter bHh)
    {
        Status.ThrowIfFailed(NativeShim.SumRows(rows, width, dIh, width, bIh.GradPointer), "mklrnn_sum_rows");
        Status.ThrowIfFailed(NativeShim.SumRows(rows, width, dHh, width, bHh.GradPointer), "mklrnn_sum_rows");
    }
}
