using MklRnn.Core;
using MklRnn.Threading;
using MklRnn.Interop;
using MklRnn.Layers;
using MklRnn.Memory;

namespace MklRnn.Cli.Bench;

/// <summary>
/// The MKL GEMMs a <see cref="RecurrentStack"/> call issues, with the same shapes, layouts, packed operands and
/// threading (bidirectional layers: the two directions concurrently, MKL single-threaded on each), on buffers
/// of the same sizes, and nothing else: no gate math, no state copies, no gathers. Its time next to the
/// engine's shows the share spent outside GEMM. Per layer and direction: the input projection over all R rows,
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
    private readonly SideThread? _side;
    private readonly Action _reverseJob;
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
        if (D == 2 && options.Threads >= 2) _side = new SideThread("bench gemm-only side thread");
        _reverseJob = () => RunDirection(_layer, 1);
    }

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
        int D = _options.Dirs;
        if (_side == null)
        {
            for (int d = 0; d < D; d++) RunDirection(l, d);
            return;
        }
        int previous = Mkl.SetNumThreadsLocal(1);
        try
        {
            _side.Start(_reverseJob);
            try { RunDirection(l, 0); }
            finally { _side.Wait(); }
        }
        finally
        {
            Mkl.SetNumThreadsLocal(previous);
        }
    }

    private void RunDirection(int l, int d)
    {
        Direction dir = _directions[l * _options.Dirs + d];
        float* x = l == 0 ? _input.Pointer : _layerOutputs[l - 1].Pointer;
        if (!_backward) dir.Forward(x, _plan);
        else dir.Backward(x, _plan);
    }

    public void Dispose()
    {
        _side?.Dispose();
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

        public void Forward(float* x, SequencePlan plan)
        {
            int R = plan.TotalRows;
            Gemm.Multiply(m: R, n: _gh, k: _i, Matrix.Of(x, _i), Matrix.Of(_wih.Pointer, _i).T, Matrix.Of(_gates.Pointer, _gh));
            for (int t = 0; t < plan.SeqLength; t++)
            {
                int n = plan.RowsAt(t);
                float* gates = _gates.Pointer + (long)plan.OffsetOf(t) * _gh;
                for (int p = 0; p < _parts.Length; p++)
                    _forward[p].Multiply(n, _hState.Pointer, _h, 1f, gates + _parts[p].Row, _gh);
            }
        }

        public void Backward(float* x, SequencePlan plan)
        {
            int R = plan.TotalRows;
            for (int t = plan.SeqLength - 1; t >= 0; t--)
            {
                int n = plan.RowsAt(t);
                float* dGates = _gates.Pointer + (long)plan.OffsetOf(t) * _gh;
                for (int p = 0; p < _parts.Length; p++)
                    _backward[p].Multiply(n, dGates + _parts[p].Row, _gh, p == 0 ? 0f : 1f, _dh.Pointer, _h);
            }
            Gemm.Multiply(m: _gh, n: _h, k: R, Matrix.Of(_gates.Pointer, _gh).T, Matrix.Of(_hPrev.Pointer, _h),
                Matrix.Of(_dWhh.Pointer, _h), beta: 1f);
            Gemm.Multiply(m: _gh, n: _i, k: R, Matrix.Of(_gates.Pointer, _gh).T, Matrix.Of(x, _i),
                Matrix.Of(_dWih.Pointer, _i), beta: 1f);
            Gemm.Multiply(m: R, n: _i, k: _gh, Matrix.Of(_gates.Pointer, _gh), Matrix.Of(_wih.Pointer, _i),
                Matrix.Of(_dx.Pointer, _i));
        }

        public void Dispose()
        {
            foreach (PackedWeights p in _forward.Concat(_backward)) p.Dispose();
            foreach (NativeBuffer b in new[] { _wih, _whh, _gates, _hState, _hPrev, _dWih, _dWhh, _dx, _dh }) b.Dispose();
        }
    }
}
