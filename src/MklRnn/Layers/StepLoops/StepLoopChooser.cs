using MklRnn.Core;
using MklRnn.Threading;

namespace MklRnn.Layers.StepLoops;

/// <summary>
/// The one place holding the rules that pick a direction's step loop. Measurements behind each rule
/// are in docs/engine-performance.md. MKLRNN_BATCH_SPLIT=0 turns the batch split off (for A/B
/// measurements against MKL's per-step split); MKLRNN_TEAM=0 (in <see cref="ThreadPair"/>) makes the
/// two-thread loops use a side thread instead of MKL's OpenMP team.
/// </summary>
internal static class StepLoopChooser
{
    /// <summary>Largest batch of the column split: beyond it the per-step GEMM is no longer a GEMV.</summary>
    public const int ColumnSplitMaxBatch = 4;

    /// <summary>Smallest batch split: below it (N &lt;= 4 is the column split's) the halves are too thin.</summary>
    public const int BatchSplitMinBatch = 8;

    /// <summary>
    /// Largest W_hh (bytes) split by batch. Each thread reads all of W_hh every step, so it must stay in
    /// the core's own L2 (1 MiB on Zen 5, with the rows' state beside it); larger weights stream from L3
    /// to both cores every step, where MKL's own split of the GEMM (each thread half of W_hh) reads half.
    /// Measured: LSTM and RNN with 256 KiB gain 1-15 %; LSTM H = 256 (1 MiB), RNN H = 512 (1 MiB) and
    /// LSTM H = 512 (4 MiB) come out even, so they keep MKL's path.
    /// </summary>
    public const long BatchSplitMaxRecurrentWeightBytes = 512 * 1024;

    private static readonly bool BatchSplitEnabled = Environment.GetEnvironmentVariable("MKLRNN_BATCH_SPLIT") != "0";

    /// <summary>
    /// The loop for one direction of a call. twoThreads: the caller may use a second core
    /// (RecurrentStack.UseSideThread). A bidirectional layer already gives each direction a core, so
    /// both two-thread loops are for unidirectional layers only. Backward uses the loop of its training
    /// forward: Choose(..., training: true, ...) again.
    /// </summary>
    public static StepLoopKind Choose(RnnConfig config, SequencePlan plan, bool training, bool twoThreads)
    {
        if (!twoThreads || config.Directions != 1) return StepLoopKind.Serial;
        if (ColumnSplitApplies(config, plan, training)) return StepLoopKind.ColumnSplit;
        if (BatchSplitApplies(config, plan, training)) return StepLoopKind.BatchSplit;
        return StepLoopKind.Serial;
    }

    /// <summary>
    /// Small-batch inference without lengths, for the cells the panel kernels have: LSTM without
    /// peepholes or projection, GRU (linear_before_reset = 1), vanilla RNN; H of at least 16.
    /// </summary>
    private static bool ColumnSplitApplies(RnnConfig config, SequencePlan plan, bool training) =>
        !training && !plan.HasLengths && plan.BatchSize <= ColumnSplitMaxBatch
        && config.HiddenSize >= 16 && config.ProjSize == 0 && !config.Peephole
        && !(config.Cell == CellKind.Gru && !config.LinearBeforeReset);

    /// <summary>
    /// MKL on two or more threads (the pair is MKL's team; a third busy thread beside MKL's spinning
    /// workers would take turns with them), a batch of at least BatchSplitMinBatch, W_hh within
    /// BatchSplitMaxRecurrentWeightBytes. Not for LSTM training with peepholes: its backward kernel sums
    /// the peephole gradient over the rows, which two threads would race on.
    /// </summary>
    private static bool BatchSplitApplies(RnnConfig config, SequencePlan plan, bool training) =>
        BatchSplitEnabled && plan.BatchSize >= BatchSplitMinBatch && !(training && config.Peephole)
        && (long)config.GateCount * config.HiddenSize * config.OutputHiddenSize * sizeof(float) <= BatchSplitMaxRecurrentWeightBytes
        && ThreadPair.UsesTeam;
}
