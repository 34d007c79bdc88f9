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
    private readonly SpinBarrier _barrier = new(2);
    private readonly Action _sideJob;
    private LayerDirection? _ld;
    private SequencePlan? _plan;
    private float* _x; // forward: the layer input, projected here; null: ld.Gates already holds the projection
    private bool _backward, _training;
    private int _split;

    public BatchSplitSteps(Cell cell)
    {
        _cell = cell;
        _sideJob = () => RunShare(1, _split, _plan!.BatchSize);
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

    /// <summary>
    /// The input projection of x (R, I) into ld.Gates, then every step forward (training keeps the tape),
    /// state in ld.HState / ld.CState, outputs to ld.Y.
    /// </summary>
    public void RunForward(LayerDirection ld, SideThread side, SequencePlan plan, float* x, bool training) =>
        Run(ld, side, plan, x, backward: false, training);

    /// <summary>Every step backward, from ld.DhState / ld.DcState; leaves the gate gradients in ld.Gates.</summary>
    public void RunBackward(LayerDirection ld, SideThread side, SequencePlan plan) =>
        Run(ld, side, plan, null, backward: true, training: true);

    private void Run(LayerDirection ld, SideThread side, SequencePlan plan, float* x, bool backward, bool training)
    {
        _ld = ld;
        _plan = plan;
        _x = x;
        _backward = backward;
        _training = training;
        _split = plan.BatchSize / 2;
        int previousMkl = Mkl.SetNumThreadsLocal(1);
        int previousKernels = NativeShim.SetKernelThreads(1);
        _barrier.Reset();
        try
        {
            side.Start(_sideJob);
            try
            {
                RunShare(0, 0, _split);
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

    /// <summary>
    /// One thread's share: its half of the input projection's columns (single-threaded MKL, so no OpenMP
    /// team is left spinning beside the step loop), then, once both halves are in, all steps of its rows.
    /// </summary>
    private void RunShare(int half, int s0, int s1)
    {
        if (_x == null)
        {
            RunRows(s0, s1);
            return;
        }
        try
        {
            LayerDirection ld = _ld!;
            int GH = ld.GH, I = ld.I, middle = GH / 2;
            int c0 = half == 0 ? 0 : middle, c1 = half == 0 ? middle : GH;
            Gemm.Multiply(false, true, _plan!.TotalRows, c1 - c0, I, 1f, _x, I, ld.WeightIh.DataPointer + (long)c0 * I, I,
                0f, ld.Gates.Pointer + c0, GH);
            if (!_barrier.SignalAndWait()) return;
        }
        catch
        {
            _barrier.Abort();
            throw;
        }
        RunRows(s0, s1);
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
