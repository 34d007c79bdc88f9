using MklRnn.Cells;
using MklRnn.Core;
using MklRnn.Threading;
using MklRnn.Interop;

namespace MklRnn.Layers.StepLoops;

/// <summary>
/// The latency path for small batches (N &lt;= 4) in inference: each step's recurrent product is a GEMV
/// that reads all of W_hh, which MKL streams from L3 every step. Here the hidden columns are split
/// between two threads; each owns the G gate rows of its columns, so its half of W_hh (re-laid into
/// column panels) stays in its own core's cache, and one fused kernel per thread and step does the
/// recurrent product and the element-wise update. The threads meet at a spin barrier once per step
/// (h_t must be complete before step t+1), reading h from one buffer and writing the other. The two
/// threads are a <see cref="ThreadPair"/> (MKL's team while MKL has two or more threads). Inference
/// only; when it applies: <see cref="StepLoopChooser"/>.
/// </summary>
internal sealed unsafe class ColumnSplitSteps : StepLoop
{
    private readonly SpinBarrier _barrier = new(2);
    private readonly Action<int, int> _share;
    private readonly ThreadPair _pair;
    private LayerDirection? _ld;
    private float* _x;
    private float* _panels;
    private LayerRows _y;
    private int _split;
    private int _steps, _batch;

    // Columns [0, split) on thread 0, the rest on thread 1; a team of one runs them all, alone.
    public ColumnSplitSteps(ThreadPair pair)
    {
        _pair = pair;
        _share = (thread, threads) =>
        {
            if (threads == 1) RunRange(0, _ld!.H, meet: false);
            else if (thread == 0) RunRange(0, _split, meet: true);
            else RunRange(_split, _ld!.H, meet: true);
        };
    }

    public override StepLoopKind Kind => StepLoopKind.ColumnSplit;

    public override void Forward(LayerDirection ld, SequencePlan plan, float* x, LayerRows y, bool training)
    {
        if (training) throw new InvalidOperationException("the column-split loop is for inference only");
        _ld = ld;
        _x = x;
        _y = y;
        _steps = plan.SeqLength;
        _batch = plan.BatchSize;
        // Column split at a multiple of 8 (the kernels' block), as even as that allows.
        _split = Math.Min(ld.H, (ld.H / 2 + 7) / 8 * 8);
        _panels = ld.Weights.Panels();
        ld.HStateAlt.Ensure((long)_batch * ld.H);
        _barrier.Reset();
        _pair.Run(_share);
        // The last step wrote the alternate buffer when the step count is odd.
        if (_steps % 2 == 1) Rows.Copy(ld.HStateAlt.Pointer, ld.H, ld.HState.Pointer, ld.H, _batch, ld.H);
    }

    /// <summary>
    /// One thread's share: its gate columns of the input projection, then every step for columns [j0, j1),
    /// meeting the other thread after each step when there is one.
    /// </summary>
    private void RunRange(int j0, int j1, bool meet)
    {
        LayerDirection ld = _ld!;
        int H = ld.H, GH = ld.GH, N = _batch, T = _steps;
        try
        {
            if (j1 > j0)
            {
                // Input projection, this thread's columns of every gate, all steps at once.
                for (int g = 0; g < ld.G; g++)
                    InputGemms.Project(ld, _x, T * N, ld.Gates.Pointer, g * H + j0, g * H + j1);
            }
            float* hA = ld.HState.Pointer, hB = ld.HStateAlt.Pointer;
            for (int k = 0; k < T; k++)
            {
                int t = TimeOf(k, T, ld.Reverse);
                long o = (long)t * N;
                float* hPrev = k % 2 == 0 ? hA : hB, hNext = k % 2 == 0 ? hB : hA;
                if (j1 > j0) Step(ld, j0, j1, ld.Gates.Pointer + o * GH, hPrev, hNext, _y.Row(o));
                if (meet && !_barrier.SignalAndWait()) return;
            }
        }
        catch
        {
            _barrier.Abort();
            throw;
        }
    }

    private void Step(LayerDirection ld, int j0, int j1, float* gx, float* hPrev, float* hNext, float* y)
    {
        int N = _batch, H = ld.H, GH = ld.GH;
        float* panels = _panels, bIh = ld.Weights.BiasIh.DataPointer, bHh = ld.Weights.BiasHh.DataPointer;
        int status = ld.Config.Cell switch
        {
            CellKind.Lstm => NativeShim.LstmStepPanels(N, H, H, j0, j1, panels, gx, GH, bIh, bHh, hPrev, H,
                ld.CState.Pointer, H, hNext, H, y, _y.Stride),
            CellKind.Gru => NativeShim.GruStepPanels(N, H, H, j0, j1, panels, gx, GH, bIh, bHh, hPrev, H, hNext, H, y, _y.Stride),
            CellKind.RnnRelu => NativeShim.RnnStepPanels(NativeShim.ActRelu, N, H, H, j0, j1, panels, gx, GH, bIh, bHh, hPrev, H, hNext, H, y, _y.Stride),
            _ => NativeShim.RnnStepPanels(NativeShim.ActTanh, N, H, H, j0, j1, panels, gx, GH, bIh, bHh, hPrev, H, hNext, H, y, _y.Stride),
        };
        Status.ThrowIfFailed(status, "mklrnn_*_step_panels");
    }

    public override void Backward(LayerDirection ld, SequencePlan plan, LayerRows y, LayerRows dy, float* dx) =>
        throw new InvalidOperationException("the column-split loop is for inference only");
}
