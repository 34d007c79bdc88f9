using MklRnn.Cells;
using MklRnn.Core;
using MklRnn.Interop;

namespace MklRnn.Layers;

/// <summary>
/// The step loop of one direction with the batch split between two threads. The rows of a batch never
/// interact in the recurrence, so each thread runs every step (forward or backward) of its own rows
/// with single-threaded MKL and kernels, reading the shared packed weights: the two threads meet once
/// per loop instead of MKL forking and joining its team for every step's small GEMM, and each keeps
/// its rows' state in its own core's cache. With lengths, each step's running rows (a prefix) are cut
/// at the same split. Used for unidirectional layers with <see cref="RecurrentStack.UseSideThread"/>
/// on and batches of at least <see cref="MinBatch"/> (a bidirectional layer already gives each
/// direction a core).
/// </summary>
internal sealed unsafe class BatchSplitSteps
{
    /// <summary>Smallest batch split: below it (N &lt;= 4 is the column-split path's) the halves are too thin.</summary>
    public const int MinBatch = 8;

    private readonly Cell _cell;
    private readonly Action _sideJob;
    private LayerDirection? _ld;
    private SequencePlan? _plan;
    private bool _backward, _training;
    private int _split;

    public BatchSplitSteps(Cell cell)
    {
        _cell = cell;
        _sideJob = () => RunRows(_split, _plan!.BatchSize);
    }

    /// <summary>Off with MKLRNN_BATCH_SPLIT=0 (for A/B measurements against the one-thread-per-step loop).</summary>
    private static readonly bool Enabled = Environment.GetEnvironmentVariable("MKLRNN_BATCH_SPLIT") != "0";

    /// <summary>
    /// Largest W_hh (bytes) split by batch. Each thread reads all of W_hh every step, so it must stay in
    /// the core's own L2 (1 MiB on Zen 5, with the rows' state beside it); larger weights stream from L3
    /// twice per step, and MKL's own split of the GEMM (each thread half of W_hh) wins. Measured: LSTM
    /// H = 128 (256 KiB) gains, RNN H = 512 (1 MiB) is even, LSTM H = 512 (4 MiB) loses.
    /// </summary>
    public const long MaxRecurrentWeightBytes = 512 * 1024;

    /// <summary>
    /// Unidirectional, batch of at least MinBatch, W_hh within MaxRecurrentWeightBytes. Not for LSTM
    /// training with peepholes: its backward kernel sums the peephole gradient over the rows, which two
    /// threads would race on.
    /// </summary>
    public static bool Applies(RnnConfig config, SequencePlan plan, bool training) =>
        Enabled && config.Directions == 1 && plan.BatchSize >= MinBatch && !(training && config.Peephole)
        && (long)config.GateCount * config.HiddenSize * config.OutputHiddenSize * sizeof(float) <= MaxRecurrentWeightBytes;

    /// <summary>Every step forward (training keeps the tape), state in ld.HState / ld.CState, outputs to ld.Y.</summary>
    public void RunForward(LayerDirection ld, SideThread side, SequencePlan plan, bool training) =>
        Run(ld, side, plan, backward: false, training);

    /// <summary>Every step backward, from ld.DhState / ld.DcState; leaves the gate gradients in ld.Gates.</summary>
    public void RunBackward(LayerDirection ld, SideThread side, SequencePlan plan) =>
        Run(ld, side, plan, backward: true, training: true);

    private void Run(LayerDirection ld, SideThread side, SequencePlan plan, bool backward, bool training)
    {
        _ld = ld;
        _plan = plan;
        _backward = backward;
        _training = training;
        _split = plan.BatchSize / 2;
        int previousMkl = Mkl.SetNumThreadsLocal(1);
        int previousKernels = NativeShim.SetKernelThreads(1);
        try
        {
            side.Start(_sideJob);
            try
            {
                RunRows(0, _split);
            }
            finally
            {
                side.Wait();
            }
        }
        finally
        {
            NativeShim.SetKernelThreads(previousKernels);
            Mkl.SetNumThreadsLocal(previousMkl);
        }
    }

    /// <summary>All steps of rows [s0, s1), in the loop's order (reverse time for a reverse direction, and again for backward).</summary>
    private void RunRows(int s0, int s1)
    {
        LayerDirection ld = _ld!;
        SequencePlan plan = _plan!;
        int T = plan.SeqLength;
        for (int k = 0; k < T; k++)
        {
            int forwardIndex = _backward ? T - 1 - k : k;
            int t = ld.Reverse ? T - 1 - forwardIndex : forwardIndex;
            int n = Math.Min(s1, plan.RowsAt(t)) - s0;
            if (n <= 0) continue;
            if (_backward) _cell.Backward(ld, n, plan.OffsetOf(t), s0);
            else _cell.Forward(ld, n, plan.OffsetOf(t), s0, _training);
        }
    }
}
