using MklRnn.Core;
using MklRnn.Layers.StepLoops;
using MklRnn.Layers;
using MklRnn.Memory;
using MklRnn.Threading;

namespace MklRnn.Tooling.Bench;

/// <summary>
/// The MKL GEMMs a <see cref="RecurrentStack"/> call issues, with the same shapes, layouts, packed operands and
/// threading, on buffers of the same sizes, and nothing else: no gate math, no state copies, no gathers. Its time
/// next to the engine's shows the share spent outside GEMM. Threading as the engine's: bidirectional layers run
/// the two directions at once on a <see cref="ThreadPair"/>; a unidirectional layer whose batch the engine splits
/// (<see cref="BatchSplitSteps"/>) runs each half's per-step GEMMs, MKL single-threaded, on one thread of the pair
/// (timing MKL's own two-thread split of those small GEMMs instead made GEMM-only slower than the whole engine,
/// a negative share outside GEMM); otherwise MKL's threads split each GEMM. Per layer and direction: the input projection over all R rows,
/// the recurrent product per step against packed W_hh; in training also the per-step product with W_hh in
/// backward, the W_hh and W_ih gradients over all rows and the input gradient.
/// (Small-batch inference of the engine replaces the per-step GEMMs by fused kernels; this still times MKL's.)
/// </summary>
internal sealed unsafe class GemmOnlyWorkload : IDisposable
{
    private readonly BenchOptions _options;
    private readonly SequencePlan _plan = new();
    private readonly Direction[] _directions; // [layer * D + d]
    private readonly NativeBuffer _input;
    private readonly NativeBuffer[] _layerOutputs;   // (R, D*H) per layer
    private readonly ThreadPair? _pair;   // the engine's pair of threads (it uses one with two or more threads)
    private readonly bool _batchSplit;    // the engine splits each step's batch between the pair
    private readonly SpinBarrier _barrier = new(2);
    private readonly Action<int, int> _share;
    private int _layer;
    private bool _backward;

    public GemmOnlyWorkload(BenchOptions options, int[] lengths)
    {
        _options = options;
        _plan.Build(options.T, options.N, lengths);
        RnnConfig config = options.ToConfig();
        int R = _plan.TotalRows, D = config.Directions, width = D * options.H;
        _input = BenchInputs.Filled((long)R * options.I, BenchInputs.Seed + 1);
        _layerOutputs = Enumerable.Range(0, options.Layers).Select(l => BenchInputs.Filled((long)R * width, BenchInputs.Seed + 10 + l)).ToArray();
        _directions = new Direction[options.Layers * D];
        for (int l = 0; l < options.Layers; l++)
            for (int d = 0; d < D; d++)
                _directions[l * D + d] = new Direction(config, l, R, options.N, options.Training, BenchInputs.Seed + 100 + 2 * l + d);
        if (options.Threads >= 2) _pair = new ThreadPair("bench gemm-only side thread");
        _batchSplit = StepPathOf(options, _plan) == BatchSplit;
        _share = RunShare;
    }

    private const string BatchSplit = "batch-split";

    /// <summary>
    /// How the engine runs a request's recurrent steps, by its own rules (StepLoopChooser; the bench
    /// stack uses its side thread from two threads on): "column-split", "batch-split", "mkl" or "mkl-bf16"/"mkl-int8" (MKL's threads per GEMM).
    /// </summary>
    public static string StepPathOf(BenchOptions options, SequencePlan plan)
    {
        if (options.Precision != "f32") return "mkl-" + options.Precision; // the reduced path has its own step loop
        return StepLoopChooser.Choose(options.ToConfig(), plan, options.Training, twoThreads: options.Threads >= 2) switch
        {
            StepLoopKind.ColumnSplit => "column-split",
            StepLoopKind.BatchSplit => BatchSplit,
            _ => "mkl",
        };
    }

    private int D => _options.Dirs;

    /// <summary>One timed iteration: forward GEMMs of every layer, then (training) backward ones from the top.</summary>
    public void Run()
    {
        for (int l = 0; l < _options.Layers; l++) RunLayer(l);
        if (!_options.Training) return;
        for (int l = _options.Layers - 1; l >= 0; l--) RunLayer(l, backward: true);
    }

    private void RunLayer(int l, bool backward = false)
    {
        _layer = l;
        _backward = backward;
        if (_pair != null && (D == 2 || _batchSplit))
        {
            _barrier.Reset();
            _pair.Run(_share);
            if (_batchSplit && backward) _directions[l].WeightGradients(LayerInput(l), _plan); // after the split, as the engine
            return;
        }
        for (int d = 0; d < D; d++) RunDirection(l, d, 0, 1);
    }

    /// <summary>One thread of the pair: its direction (bidirectional), or its half of the batch (batch split).</summary>
    private void RunShare(int thread, int threads)
    {
        if (D == 1)
        {
            RunDirection(_layer, 0, thread, threads);
            return;
        }
        for (int d = thread; d < D; d += threads) RunDirection(_layer, d, 0, 1);
    }

    /// <summary>Share `part` of `parts` (1 or 2) of direction d's steps; the whole direction when parts is 1.</summary>
    private void RunDirection(int l, int d, int part, int parts)
    {
        Direction dir = _directions[l * D + d];
        float* x = LayerInput(l);
        SpinBarrier? barrier = parts > 1 ? _barrier : null;
        if (!_backward)
        {
            dir.Forward(x, _plan, part, parts, barrier);
            return;
        }
        dir.Backward(_plan, part, parts, barrier);
        if (!_batchSplit) dir.WeightGradients(x, _plan);
    }

    private float* LayerInput(int l) => l == 0 ? _input.Pointer : _layerOutputs[l - 1].Pointer;

    public void Dispose()
    {
        _pair?.Dispose();
        foreach (Direction d in _directions) d.Dispose();
        _input.Dispose();
        foreach (NativeBuffer b in _layerOutputs) b.Dispose();
    }

    /// <summary>One layer direction's weights, packed operands and work buffers.</summary>
    private sealed class Direction : IDisposable
    {
        private readonly int _i, _h, _gh, _n;
        // Recurrent weights split as the cells use them: one part (W_hh), or two for the original GRU (W_hrz, W_hn).
        private readonly (int Row, int Rows)[] _parts;
        private readonly PackedWeights[] _forward, _backward;
        private readonly NativeBuffer _wih, _whh, _gates, _hState, _hPrev, _dWih, _dWhh, _dx, _dh;

        public Direction(RnnConfig config, int layer, int R, int N, bool training, int seed)
        {
            _i = config.LayerInputSize(layer);
            _h = config.HiddenSize;
            _gh = config.GateCount * _h;
            _n = N;
            bool original = config.Cell == CellKind.Gru && !config.LinearBeforeReset;
            _parts = original ? [(0, 2 * _h), (2 * _h, _h)] : [(0, _gh)];
            _wih = BenchInputs.Filled((long)_gh * _i, seed);
            _whh = BenchInputs.Filled((long)_gh * _h, seed + 50);
            _gates = BenchInputs.Filled((long)R * _gh, seed + 51);
            _hState = BenchInputs.Filled((long)N * _h, seed + 52);
            _forward = _parts.Select(p => Pack(p, transposed: true)).ToArray();
            _backward = training ? _parts.Select(p => Pack(p, transposed: false)).ToArray() : [];
            _hPrev = training ? BenchInputs.Filled((long)R * _h, seed + 53) : BenchInputs.Filled(1, seed);
            _dWih = new NativeBuffer(training ? _gh * _i : 1);
            _dWhh = new NativeBuffer(training ? _gh * _h : 1);
            _dx = new NativeBuffer(training ? checked(R * _i) : 1);
            _dh = new NativeBuffer(training ? N * _h : 1);
        }

        private PackedWeights Pack((int Row, int Rows) part, bool transposed)
        {
            var packed = new PackedWeights();
            packed.Pack(_whh.Pointer + (long)part.Row * _h, part.Rows, _h, _h, transposed, _n, sourceVersion: 0);
            return packed;
        }

        /// <summary>
        /// Forward GEMMs of rows half `part` of `parts` (1: all): the input projection of its half of the gate
        /// columns, then (once both halves are in) the per-step products of its rows.
        /// </summary>
        public void Forward(float* x, SequencePlan plan, int part, int parts, SpinBarrier? barrier)
        {
            int R = plan.TotalRows;
            var (c0, c1) = Half(_gh, part, parts);
            Gemm.Multiply(m: R, n: c1 - c0, k: _i, Matrix.Of(x, _i), Matrix.Of(_wih.Pointer + (long)c0 * _i, _i).T,
                Matrix.Of(_gates.Pointer + c0, _gh));
            barrier?.SignalAndWait();
            var (s0, s1) = Half(plan.BatchSize, part, parts);
            for (int t = 0; t < plan.SeqLength; t++)
            {
                int n = Math.Min(s1, plan.RowsAt(t)) - s0;
                if (n <= 0) continue;
                float* gates = _gates.Pointer + ((long)plan.OffsetOf(t) + s0) * _gh;
                for (int p = 0; p < _parts.Length; p++)
                    _forward[p].Multiply(n, _hState.Pointer + (long)s0 * _h, _h, 1f, gates + _parts[p].Row, _gh);
            }
        }

        /// <summary>Backward GEMMs of rows half `part` of `parts`: its per-step products, then (once both are done) its rows of dx.</summary>
        public void Backward(SequencePlan plan, int part, int parts, SpinBarrier? barrier)
        {
            var (s0, s1) = Half(plan.BatchSize, part, parts);
            for (int t = plan.SeqLength - 1; t >= 0; t--)
            {
                int n = Math.Min(s1, plan.RowsAt(t)) - s0;
                if (n <= 0) continue;
                float* dGates = _gates.Pointer + ((long)plan.OffsetOf(t) + s0) * _gh;
                for (int p = 0; p < _parts.Length; p++)
                    _backward[p].Multiply(n, dGates + _parts[p].Row, _gh, p == 0 ? 0f : 1f, _dh.Pointer + (long)s0 * _h, _h);
            }
            barrier?.SignalAndWait();
            var (r0, r1) = Half(plan.TotalRows, part, parts);
            Gemm.Multiply(m: r1 - r0, n: _i, k: _gh, Matrix.Of(_gates.Pointer + (long)r0 * _gh, _gh), Matrix.Of(_wih.Pointer, _i),
                Matrix.Of(_dx.Pointer + (long)r0 * _i, _i));
        }

        /// <summary>The W_hh and W_ih gradients over all rows.</summary>
        public void WeightGradients(float* x, SequencePlan plan)
        {
            int R = plan.TotalRows;
            Gemm.Multiply(m: _gh, n: _h, k: R, Matrix.Of(_gates.Pointer, _gh).T, Matrix.Of(_hPrev.Pointer, _h),
                Matrix.Of(_dWhh.Pointer, _h), beta: 1f);
            Gemm.Multiply(m: _gh, n: _i, k: R, Matrix.Of(_gates.Pointer, _gh).T, Matrix.Of(x, _i),
                Matrix.Of(_dWih.Pointer, _i), beta: 1f);
        }

        /// <summary>[start, end) of share `part` of `parts` (1 or 2) of count items, split as BatchSplitSteps splits.</summary>
        private static (int Start, int End) Half(int count, int part, int parts)
        {
            int middle = parts == 1 ? count : count / 2;
            return part == 0 ? (0, middle) : (middle, count);
        }

        public void Dispose()
        {
            foreach (PackedWeights p in _forward.Concat(_backward)) p.Dispose();
            foreach (NativeBuffer b in new[] { _wih, _whh, _gates, _hState, _hPrev, _dWih, _dWhh, _dx, _dh }) b.Dispose();
        }
    }
}
