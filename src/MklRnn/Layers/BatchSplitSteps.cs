using MklRnn.Cells;
using MklRnn.Core;
using MklRnn.Interop;

namespace MklRnn.Layers;

/// <summary>
/// The step loop of one direction with the batch split between two threads. The rows of a batch never
/// interact in the recurrence, so each thread runs every step (forward or backward) of its own rows
/// with single-threaded MKL and kernels, reading the shared packed weights: the threads meet once per
/// loop instead of MKL forking and joining its team for every step's small GEMM, and each keeps its
/// rows' state in its own core's cache. With lengths, each step's running rows (a prefix) are cut at
/// the same split. The two threads are MKL's own OpenMP team (a <see cref="ThreadPair"/>), not a thread of ours:
/// MKL's workers spin for a while after each parallel GEMM, and a third busy thread beside them would
/// take turns with them on two cores. Used for unidirectional layers (a bidirectional one already gives
/// each direction a core) while MKL runs on two or more threads.
/// </summary>
internal sealed unsafe class BatchSplitSteps
{
    /// <summary>Smallest batch split: below it (N &lt;= 4 is the column-split path's) the halves are too thin.</summary>
    public const int MinBatch = 8;

    /// <summary>
    /// Largest W_hh (bytes) split by batch. Each thread reads all of W_hh every step, so it must stay in
    /// the core's own L2 (1 MiB on Zen 5, with the rows' state beside it); larger weights stream from L3
    /// to both cores every step, where MKL's own split of the GEMM (each thread half of W_hh) reads half.
    /// Measured (docs/engine-performance.md): LSTM and RNN with 256 KiB gain 1-15 %; LSTM H = 256
    /// (1 MiB), RNN H = 512 (1 MiB) and LSTM H = 512 (4 MiB) come out even, so they keep MKL's path.
    /// </summary>
    public const long MaxRecurrentWeightBytes = 512 * 1024;

    /// <summary>Off with MKLRNN_BATCH_SPLIT=0 (for A/B measurements against the per-step MKL split).</summary>
    private static readonly bool Enabled = Environment.GetEnvironmentVariable("MKLRNN_BATCH_SPLIT") != "0";

    private readonly Cell _cell;
    private readonly SpinBarrier _barrier = new(2);
    private readonly ThreadPair _pair;
    private readonly Action<int, int> _share;
    private LayerDirection? _ld;
    private SequencePlan? _plan;
    private float* _x;  // forward: the layer input, projected here; null: backward
    private float* _dx; // backward: this direction's gradient w.r.t. the layer input, written here
    private bool _backward, _training;

    public BatchSplitSteps(Cell cell, ThreadPair pair)
    {
        _cell = cell;
        _pair = pair;
        _share = RunShare;
    }

    /// <summary>
    /// Unidirectional, MKL on two or more threads, batch of at least MinBatch, W_hh within
    /// MaxRecurrentWeightBytes. Not for LSTM training with peepholes: its backward kernel sums the
    /// peephole gradient over the rows, which two threads would race on.
    /// </summary>
    public static bool Applies(RnnConfig config, SequencePlan plan, bool training) =>
        Enabled && config.Directions == 1 && plan.BatchSize >= MinBatch && !(training && config.Peephole)
        && (long)config.GateCount * config.HiddenSize * config.OutputHiddenSize * sizeof(float) <= MaxRecurrentWeightBytes
        && ThreadPair.UsesTeam;

    /// <summary>
    /// The input projection of x (R, I) into ld.Gates, then every step forward (training keeps the tape),
    /// state in ld.HState / ld.CState, outputs to ld.Y.
    /// </summary>
    public void RunForward(LayerDirection ld, SequencePlan plan, float* x, bool training) =>
        Run(ld, plan, x, backward: false, training);

    /// <summary>
    /// Every step backward, from ld.DhState / ld.DcState, leaving the gate gradients in ld.Gates; then
    /// dx (R, I) = dG W_ih, each thread half of the rows (MKL's own split of this tall, narrow GEMM,
    /// e.g. 12800 x 64 x 512, ran at 330 GFLOP/s against 430 for two single-threaded halves).
    /// </summary>
    public void RunBackward(LayerDirection ld, SequencePlan plan, float* dx)
    {
        _dx = dx;
        Run(ld, plan, null, backward: true, training: true);
    }

    private void Run(LayerDirection ld, SequencePlan plan, float* x, bool backward, bool training)
    {
        _ld = ld;
        _plan = plan;
        _x = x;
        _backward = backward;
        _training = training;
        _barrier.Reset();
        _pair.Run(_share);
    }

    /// <summary>
    /// One team thread's share: forward, its half of the input projection's columns, then, once both
    /// halves are in, all steps of its half of the batch; backward, all steps of its half of the batch,
    /// then, once both are done, its half of the packed rows of dx. A team of one (the runtime may grant
    /// fewer threads) does it all.
    /// </summary>
    private void RunShare(int thread, int threads)
    {
        try
        {
            SequencePlan plan = _plan!;
            int N = plan.BatchSize, split = threads == 1 ? N : N / 2;
            if (_x != null)
            {
                LayerDirection ld = _ld!;
                int GH = ld.GH, middle = threads == 1 ? GH : GH / 2;
                int c0 = thread == 0 ? 0 : middle, c1 = thread == 0 ? middle : GH;
                Gemm.Multiply(m: plan.TotalRows, n: c1 - c0, k: ld.I, Matrix.Of(_x, ld.I), Matrix.Of(ld.WeightIh.DataPointer + (long)c0 * ld.I, ld.I).T,
                    Matrix.Of(ld.Gates.Pointer + c0, GH));
                if (threads > 1 && !_barrier.SignalAndWait()) return;
            }
            RunRows(thread == 0 ? 0 : split, thread == 0 ? split : N);
            if (_backward)
            {
                if (threads > 1 && !_barrier.SignalAndWait()) return;
                LayerDirection ld = _ld!;
                int R = plan.TotalRows, middle = threads == 1 ? R : R / 2;
                int r0 = thread == 0 ? 0 : middle, r1 = thread == 0 ? middle : R;
                Gemm.Multiply(m: r1 - r0, n: ld.I, k: ld.GH, Matrix.Of(ld.Gates.Pointer + (long)r0 * ld.GH, ld.GH), Matrix.Of(ld.WeightIh.DataPointer, ld.I),
                    Matrix.Of(_dx + (long)r0 * ld.I, ld.I));
            }
        }
        catch
        {
            _barrier.Abort();
            throw;
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
