using MklRnn.Cells;

namespace MklRnn.Layers.StepLoops;

/// <summary>
/// The loop over the time steps of one direction of one layer, with the two GEMMs over all rows that
/// bracket it: forward, the input projection gates (R, G*H) = x (R, I) W_ih^T, then every step (the
/// cell's recurrent GEMM and fused kernel); backward, every step in reverse, then the input gradient
/// dx (R, I) = dG W_ih. Implementations differ only in how they share the work between threads;
/// <see cref="StepLoopChooser"/> holds the rules that pick one. A reduced-precision path plugs in here:
/// a loop (or a cell) whose input projection and recurrent product use another GEMM.
/// Before Forward, ld's running state (HState, CState) holds the initial state; after it, the final one.
/// </summary>
internal abstract unsafe class StepLoop
{
    public abstract StepLoopKind Kind { get; }

    /// <summary>Input projection of x (R, I), then every step forward (training keeps the tape); outputs to y.</summary>
    public abstract void Forward(LayerDirection ld, SequencePlan plan, float* x, LayerRows y, bool training);

    /// <summary>
    /// Every step backward from ld.DhState / ld.DcState (the gradient w.r.t. the final state), leaving the
    /// gate gradients in ld.Gates and the gradient w.r.t. the initial state in DhState / DcState; then dx.
    /// </summary>
    public abstract void Backward(LayerDirection ld, SequencePlan plan, LayerRows y, LayerRows dy, float* dx);

    /// <summary>The time index of the k-th step a loop visits: forward order, or reverse for a reverse direction.</summary>
    public static int TimeOf(int k, int seqLength, bool reverse) => reverse ? seqLength - 1 - k : k;
}
