using MklRnn.Cells;
using MklRnn.Threading;

namespace MklRnn.Layers.StepLoops;

/// <summary>
/// The step loop of one direction with the batch split between two threads. The rows of a batch never
/// interact in the recurrence, so each thread runs every step (forward or backward) of its own rows
/// with single-threaded MKL and kernels, reading the shared packed weights: the threads meet once per
/// loop instead of MKL forking and joining its team for every step's small GEMM, and each keeps its
/// rows' state in its own core's cache. With lengths, each step's running rows (a prefix) are cut at
/// the same split. The two threads are MKL's own OpenMP team (a <see cref="ThreadPair"/>), not a thread of ours:
/// MKL's workers spin for a while after each parallel GEMM, and a third busy thread beside them would
/// take turns with them on two cores. When it applies: <see cref="StepLoopChooser"/>.
/// </summary>
internal sealed unsafe class BatchSplitSteps : StepLoop
{
    private readonly Cell _cell;
    private readonly SpinBarrier _barrier = new(2);
    private readonly ThreadPair _pair;
    private readonly Action<int, int> _share;
    private LayerDirection? _ld;
    private SequencePlan? _plan;
    private LayerRows _y, _dy;
    private float* _x;  // forward: the layer input, projected here; null: backward
    private float* _dx; // backward: this direction's gradient w.r.t. the layer input, written here
    private bool _backward, _training;

    public BatchSplitSteps(Cell cell, ThreadPair pair)
    {
        _cell = cell;
        _pair = pair;
        _share = RunShare;
    }

    public override StepLoopKind Kind => StepLoopKind.BatchSplit;

    public override void Forward(LayerDirection ld, SequencePlan plan, float* x, LayerRows y, bool training)
    {
        _x = x;
        _y = y;
        Run(ld, plan, backward: false, training);
    }

    /// <summary>
    /// dx (R, I) = dG W_ih runs as two halves of the rows, one per thread (MKL's own split of this tall,
    /// narrow GEMM, e.g. 12800 x 64 x 512, ran at 330 GFLOP/s against 430 for two single-threaded halves).
    /// </summary>
    public override void Backward(LayerDirection ld, SequencePlan plan, LayerRows y, LayerRows dy, float* dx)
    {
        _x = null;
        _y = y;
        _dy = dy;
        _dx = dx;
        Run(ld, plan, backward: true, training: true);
    }

    private void Run(LayerDirection ld, SequencePlan plan, bool backward, bool training)
    {
        _ld = ld;
        _plan = plan;
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
            LayerDirection ld = _ld!;
            int N = plan.BatchSize, split = threads == 1 ? N : N / 2;
            if (!_backward)
            {
                var (c0, c1) = Half(ld.GH, thread, threads);
                InputGemms.Project(ld, _x, plan.TotalRows, ld.Gates.Pointer, c0, c1);
                if (threads > 1 && !_barrier.SignalAndWait()) return;
            }
            RunRows(thread == 0 ? 0 : split, thread == 0 ? split : N);
            if (_backward)
            {
                if (threads > 1 && !_barrier.SignalAndWait()) return;
                var (r0, r1) = Half(plan.TotalRows, thread, threads);
                InputGemms.InputGradient(ld, ld.Gates.Pointer + (long)r0 * ld.GH, r1 - r0, _dx + (long)r0 * ld.I);
            }
        }
        catch
        {
            _barrier.Abort();
            throw;
        }
    }

    /// <summary>Thread 0's or thread 1's half of [0, count); a team of one takes all.</summary>
    private static (int First, int End) Half(int count, int thread, int threads)
    {
        int middle = threads == 1 ? count : count / 2;
        return thread == 0 ? (0, middle) : (middle, count);
    }

    /// <summary>All steps of rows [s0, s1), in the loop's order (reverse time for a reverse direction, and again for backward).</summary>
    private void RunRows(int s0, int s1)
    {
        LayerDirection ld = _ld!;
        SequencePlan plan = _plan!;
        int T = plan.SeqLength;
        for (int k = 0; k < T; k++)
        {
            int t = TimeOf(_backward ? T - 1 - k : k, T, ld.Reverse);
            int n = Math.Min(s1, plan.RowsAt(t)) - s0;
            if (n <= 0) continue;
            if (_backward) _cell.Backward(ld, _y, _dy, n, plan.OffsetOf(t), s0);
            else _cell.Forward(ld, _y, n, plan.OffsetOf(t), s0, _training);
        }
    }
}
