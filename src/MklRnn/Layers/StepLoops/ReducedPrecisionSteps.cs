using MklRnn.Cells;

namespace MklRnn.Layers.StepLoops;

/// <summary>
/// The inference step loop of a stack prepared for bf16 or int8 (RecurrentStack.PrepareInference): the input
/// projections of all steps through the reduced weights, then every step's reduced recurrent product and fused
/// fp32 gate kernel, in time order (reversed for the reverse direction). One thread: MKL's low-precision GEMMs
/// and the shim's kernels split each step's work themselves. Steps after the first are chained: an int8 step may
/// take the u8 codes of h that the previous step's kernel wrote (ReducedPrecisionCell.Step).
/// </summary>
internal static unsafe class ReducedPrecisionSteps
{
    public static void Forward(ReducedPrecisionCell cell, LayerDirection ld, SequencePlan plan, float* x, LayerRows y)
    {
        cell.Prepare(ld, plan.TotalRows, plan.BatchSize);
        cell.ProjectInput(ld, x, plan.TotalRows);
        int T = plan.SeqLength;
        for (int k = 0; k < T; k++)
        {
            int t = ld.Reverse ? T - 1 - k : k;
            cell.Step(ld, y, plan.RowsAt(t), plan.OffsetOf(t), chained: k > 0);
        }
    }
}
