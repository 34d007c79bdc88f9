using MklRnn.Cells;
using MklRnn.Threading;

namespace MklRnn.Layers.StepLoops;

/// <summary>
/// The bf16/int8 inference step loop of a unidirectional layer with the batch split between two threads: the input
/// projections of all steps first (MKL on both cores; or only their operand, ReducedPrecisionCell.MakesProductsPerStep),
/// then one team (MKL's own OpenMP threads, a <see cref="ThreadPair"/>) in which each thread runs every step of its
/// half of the batch with single-threaded MKL and kernels (<see cref="ReducedPrecisionCell.Step"/> from row s0). Rows
/// never interact in the recurrence, and at reduced precision neither do the halves' operands (bf16 rounding is
/// element-wise; int8 codes are on the whole batch's h0 range at step 0, on the fixed range after where h is bounded),
/// so the threads never meet inside the loop, where the one-thread loop (<see cref="ReducedPrecisionSteps"/>) forks MKL's team for each step's product and the shim's for each step's
/// kernel. Each core reads all of W_hh every step (bf16 2 MB, int8 1 MB at H = 512), where MKL's split reads half.
/// When it applies: <see cref="Applies"/>.
/// </summary>
internal sealed unsafe class ReducedPrecisionBatchSplit
{
    private static readonly bool Enabled = Environment.GetEnvironmentVariable("MKLRNN_REDUCED_BATCH_SPLIT") != "0";

    private readonly ThreadPair _pair;
    private readonly Action<int, int> _share;
    private ReducedPrecisionCell? _cell;
    private LayerDirection? _ld;
    private SequencePlan? _plan;
    private LayerRows _y;

    public ReducedPrecisionBatchSplit(ThreadPair pair)
    {
        _pair = pair;
        _share = RunShare;
    }

    /// <summary>
    /// A unidirectional layer (a bidirectional one gives each direction a core already) with a second core and MKL on
    /// two threads (the pair is MKL's team), a batch of at least StepLoopChooser.BatchSplitMinBatch.
    /// MKLRNN_REDUCED_BATCH_SPLIT=0 turns it off (A/B measurements).
    /// </summary>
    public static bool Applies(RnnConfig config, SequencePlan plan, bool twoThreads) =>
        Enabled && twoThreads && config.Directions == 1 && plan.BatchSize >= StepLoopChooser.BatchSplitMinBatch && ThreadPair.UsesTeam;

    public void Forward(ReducedPrecisionCell cell, LayerDirection ld, SequencePlan plan, float* x, LayerRows y)
    {
        ReducedPrecisionSteps.Project(cell, ld, plan, x, batchInHalves: true); // int8: both halves' step 0 on the whole batch's h0 range
        _cell = cell;
        _ld = ld;
        _plan = plan;
        _y = y;
        try
        {
            _pair.Run(_share);
        }
        finally
        {
            _cell = null;
            _ld = null;
            _plan = null;
        }
    }

    /// <summary>One team thread: every step of its half of the batch (a team of one runs all rows).</summary>
    private void RunShare(int thread, int threads)
    {
        SequencePlan plan = _plan!;
        int N = plan.BatchSize, split = threads == 1 ? N : N / 2;
        ReducedPrecisionSteps.RunRows(_cell!, _ld!, plan, _y, thread == 0 ? 0 : split, thread == 0 ? split : N);
    }
}
