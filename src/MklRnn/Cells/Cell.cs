using MklRnn.Core;
using MklRnn.Interop;

namespace MklRnn.Cells;

/// <summary>
/// The per-step math of one cell family: the recurrent GEMM(s) against packed weights and the fused
/// element-wise kernel(s) of the C shim, forward and backward. The time loop, the input projection
/// (one GEMM over all R rows) and the input-weight gradients are the same for every cell and live in
/// the step loops (Layers/StepLoops) and the runner. A call covers n of the rows running at the step whose packed offset
/// is o: the rows [s, s + n) of that step, which are also rows [s, s + n) of the running state buffers.
/// Rows of a step are independent, so disjoint windows (s) of the same step may run on different threads.
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

    /// <summary>
    /// One step forward of rows [s, s + n), writing h to y's rows; in training keeps what
    /// <see cref="Backward"/> needs at row o + s.
    /// </summary>
    public abstract void Forward(LayerDirection d, LayerRows y, int n, int o, int s, bool training);

    /// <summary>
    /// One step backward of rows [s, s + n) (steps visited in the reverse of the forward's order):
    /// dy holds the gradient w.r.t. the layer output, y the forward's output (h_t, which some cells reuse).
    /// </summary>
    public abstract void Backward(LayerDirection d, LayerRows y, LayerRows dy, int n, int o, int s);

    /// <summary>After the backward loop: W_hh, bias (and W_hr) gradients as GEMMs over all R rows; accumulates.</summary>
    public abstract void AccumulateRecurrentGradients(LayerDirection d, int rows);

    /// <summary>In training, saves h_{t-1} of state rows [s, s + n) at packed row r.</summary>
    protected static void SaveHPrev(LayerDirection d, int n, int r, int s) =>
        Rows.Copy(d.HState.Pointer + (long)s * d.Hout, d.Hout, d.HPrev.Pointer + (long)r * d.Hout, d.Hout, n, d.Hout);

    /// <summary>bias_ih and bias_hh gradients += column sums of a (rows, G*H) gradient block.</summary>
    protected static void AccumulateBiasGradients(float* dIh, float* dHh, int rows, int width, Parameter bIh, Parameter bHh)
    {
        Status.ThrowIfFailed(NativeShim.SumRows(rows, width, dIh, width, bIh.GradPointer), "mklrnn_sum_rows");
        Status.ThrowIfFailed(NativeShim.SumRows(rows, width, dHh, width, bHh.GradPointer), "mklrnn_sum_rows");
    }
}
