using MklRnn.Cells;

namespace MklRnn.Layers.StepLoops;

/// <summary>
/// The inference step loop of a stack prepared for bf16 or int8 (RecurrentStack.PrepareInference): the input
/// projections of all steps through the reduced weights (or only their operand: each step then makes its own), then
/// every step's reduced recurrent product and fused fp32 gate kernel, in time order (reversed for the reverse
/// direction). One thread: MKL's low-precision GEMMs and the shim's kernels split each step's work themselves. Steps after the first are chained: an int8 step may
/// take the u8 codes of h that the previous step's kernel wrote (ReducedPrecisionCell.Step).
/// </summary>
internal static unsafe class ReducedPrecisionSteps
{
    public static void Forward(ReducedPrecisionCell cell, LayerDirection ld, SequencePlan plan, float* x, LayerRows y)
    {
        Project(cell, ld, plan, x);
        RunRows(cell, ld, plan, y, 0, plan.BatchSize);
    }

    /// <summary>
    /// The reduced weights made or refreshed for this call, then the input projections of all steps, or only their
    /// operand where each step makes its own product (ReducedPrecisionCell.MakesProductsPerStep). batchInHalves: the
    /// steps run halves of the batch apart (ReducedPrecisionCell.StartSequence).
    /// </summary>
    public static void Project(ReducedPrecisionCell cell, LayerDirection ld, SequencePlan plan, float* x, bool batchInHalves = false)
    {
        cell.Prepare(ld, plan.TotalRows, plan.BatchSize);
        cell.StartSequence(ld, plan.BatchSize, shareInitialRange: batchInHalves);
        cell.ProjectInput(ld, x, plan.TotalRows, cell.MakesProductsPerStep(ld, plan.BatchSize));
    }

    /// <summary>Every step of batch rows [s0, s1) in loop order (the whole batch, or one thread's half in ReducedPrecisionBatchSplit).</summary>
    public static void RunRows(ReducedPrecisionCell cell, LayerDirection ld, SequencePlan plan, LayerRows y, int s0, int s1)
    {
        int T = plan.SeqLength;
        for (int k = 0; k < T; k++)
        {
            int t = ld.Reverse ? T - 1 - k : k;
            int n = Math.Min(s1, plan.RowsAt(t)) - s0;
            if (n <= 0) continue;
            cell.Step(ld, y, n, plan.OffsetOf(t), chained: k > 0, s0);
        }
    }
}
