using MklRnn.Cells;

namespace MklRnn.Layers.StepLoops;

/// <summary>
/// The general loop on the calling thread: one GEMM for the input projections of all steps, then per
/// step the cell's recurrent GEMM (MKL splits it over its threads) and fused kernel (split over as
/// many threads when the block is large). Stateless: both directions of a layer may run it at once.
/// </summary>
internal sealed unsafe class SerialSteps(Cell cell) : StepLoop
{
    public override StepLoopKind Kind => StepLoopKind.Serial;

    public override void Forward(LayerDirection ld, SequencePlan plan, float* x, LayerRows y, bool training)
    {
        InputGemms.Project(ld, x, plan.TotalRows, ld.Gates.Pointer);
        int T = plan.SeqLength;
        for (int k = 0; k < T; k++)
        {
            int t = TimeOf(k, T, ld.Reverse);
            cell.Forward(ld, y, plan.RowsAt(t), plan.OffsetOf(t), 0, training);
        }
    }

    public override void Backward(LayerDirection ld, SequencePlan plan, LayerRows y, LayerRows dy, float* dx)
    {
        int T = plan.SeqLength;
        for (int k = T - 1; k >= 0; k--)
        {
            int t = TimeOf(k, T, ld.Reverse);
            cell.Backward(ld, y, dy, plan.RowsAt(t), plan.OffsetOf(t), 0);
        }
        InputGemms.InputGradient(ld, ld.Gates.Pointer, plan.TotalRows, dx);
    }
}
