using MklRnn.Cells;
using MklRnn.Layers.StepLoops;
using MklRnn.Threading;
using MklRnn.Core;
using MklRnn.Interop;
using MklRnn.Memory;

namespace MklRnn.Layers;

/// <summary>
/// A stack of recurrent layers (torch.nn.RNN / LSTM / GRU semantics): any number of layers, one or two
/// directions, optional initial states, variable-length batches. Forward runs, per layer and direction,
/// ONE GEMM for the input projections of all steps, then per step the recurrent GEMM against packed
/// weights and one fused kernel call. Forward with training = true keeps what <see cref="Backward"/>
/// needs; Backward accumulates every parameter gradient (+=) and returns input and state gradients.
/// Work buffers are pooled native memory reused across calls: a call of an already-seen shape
/// allocates nothing. One call at a time per instance: a call while another runs (another thread)
/// throws InvalidOperationException; Dispose during a call takes effect at its end.
/// </summary>
public sealed unsafe partial class RecurrentStack : IParameterized, IDisposable
{
    private readonly RecurrentWeights _weights;
    private readonly bool _ownsWeights;
    private readonly LayerDirection[] _cells; // [layer * D + direction], over _weights.Directions
    private readonly Cell _cell;
    private readonly SequencePlan _plan = new();
    private readonly Workspace _input = new("input");       // (R, I) gathered input (layer 0)
    private readonly Workspace _inputGrad = new("dinput");  // (R, I) gradient w.r.t. the gathered input
    private readonly Workspace _inputGradReverse = new("dinput_reverse"); // (R, I) the reverse direction's share
    private readonly Workspace[] _outputs;                  // per layer (R, D*Hout)
    private readonly Workspace[] _outputGrads;              // per layer (R, D*Hout)
    private readonly Workspace[] _dropoutMasks;             // per layer but the last (R, D*Hout): 0 or 1/(1-p)
    private readonly Workspace[] _droppedOutputs;           // per layer but the last (R, D*Hout): output * mask
    private readonly int[] _versionsAtForward;
    private Random _dropoutRandom;
    private readonly ThreadPair _pair = new("MklRnn side thread");
    private readonly LayerRunner _runner;
    private TapeState _tape;
    private bool _steppedTape;        // the tape was recorded by BeginSteps/Step
    private readonly RowLayout _layout;
    private readonly SteppedRun _stepped = new(); // the stepped API's state (RecurrentStack.Steps.cs)
    private readonly CallGuard _guard;

    private enum TapeState { None, Recorded, Consumed }


    /// <param name="config">The architecture.</param>
    /// <param name="seed">Seed of the initialisation (and of the dropout masks).</param>
    /// <param name="namePrefix">Prepended to every parameter name (e.g. "encoder.rnn."), so several stacks can share one optimizer or file.</param>
    public RecurrentStack(RnnConfig config, int seed = 0, string namePrefix = "")
        : this(new RecurrentWeights(config, seed, namePrefix), ownsWeights: true)
    {
        _dropoutRandom = new Random(seed);
    }

    /// <summary>A stack running these weights: owning them (disposes them), or a session sharing them (inference only).</summary>
    internal RecurrentStack(RecurrentWeights weights, bool ownsWeights)
    {
        _weights = weights;
        _ownsWeights = ownsWeights;
        RnnConfig config = Config = weights.Config;
        int L = config.NumLayers;
        _cells = weights.Directions.Select(w => new LayerDirection(w)).ToArray();
        _versionsAtForward = new int[weights.Parameters.Count];
        _cell = Cell.For(config);
        _outputs = Enumerable.Range(0, L).Select(l => new Workspace($"output_l{l}")).ToArray();
        _outputGrads = Enumerable.Range(0, L).Select(l => new Workspace($"doutput_l{l}")).ToArray();
        _dropoutMasks = Enumerable.Range(0, L).Select(l => new Workspace($"dropout_mask_l{l}")).ToArray();
        _droppedOutputs = Enumerable.Range(0, L).Select(l => new Workspace($"dropout_out_l{l}")).ToArray();
        _dropoutRandom = new Random(0);
        _layout = new RowLayout(_plan, config.BatchFirst, _pair);
        _runner = new LayerRunner(config, _cells, _cell, _plan, _layout, _pair);
        _guard = new CallGuard(this, Release);
    }

    /// <summary>
    /// Use a second core through a pair of threads (<see cref="ThreadPair"/>: MKL's own team, or a side
    /// thread when MKL runs on one): bidirectional layers run their two directions concurrently (each
    /// with single-threaded MKL), and small-batch inference splits the hidden columns between the two
    /// threads (<see cref="ColumnSplitSteps"/>). Also allows unidirectional layers with small weights to
    /// split their batch over the pair for a whole step loop (<see cref="BatchSplitSteps"/>). Default: on
    /// with two or more cores.
    /// </summary>
    public bool UseSideThread
    {
        get => _runner.TwoThreads;
        set => _runner.TwoThreads = value;
    }

    public RnnConfig Config { get; }

    /// <summary>The weights this stack runs (shared with its sessions, <see cref="RecurrentWeights.CreateSession"/>).</summary>
    public RecurrentWeights Weights => _weights;

    /// <summary>The step loop the last Forward / Backward ran (both directions run the same kind).</summary>
    internal StepLoopKind LastForwardLoop => _runner.LastForwardLoop;
    internal StepLoopKind LastBackwardLoop => _runner.LastBackwardLoop;

    /// <summary>True while a call runs on this stack (for tests of concurrent misuse).</summary>
    internal bool InCall => _guard.InCall;

    /// <summary>All parameters, PyTorch names, layer by layer, forward direction first.</summary>
    public IReadOnlyList<Parameter> Parameters => _weights.Parameters;

    /// <summary>The parameter with this PyTorch name (e.g. "weight_hh_l1_reverse").</summary>
    public Parameter this[string name] => _weights[name];

    /// <summary>PyTorch's default initialisation: every parameter uniform in [-1/sqrt(H), 1/sqrt(H)].</summary>
    public void ResetParameters(int seed) => _weights.ResetParameters(seed);

    /// <summary>Reseeds the dropout mask generator (training runs with dropout are then repeatable).</summary>
    public void SeedDropout(int seed) => _dropoutRandom = new Random(seed);

    /// <summary>Sets every parameter gradient to zero.</summary>
    public void ZeroGrad()
    {
        foreach (Parameter p in Parameters) p.ZeroGrad();
    }

    /// <summary>
    /// Runs the stack over T steps of N sequences.
    /// input: (T, N, I), or (N, T, I) when Config.BatchFirst. output: (T, N, D*Hout) or (N, T, D*Hout),
    /// zero at padded steps. h0: (L*D, N, Hout) or empty for zeros; c0: (L*D, N, H), LSTM only.
    /// hN, cN: the final states, same shapes, or empty to skip; with lengths, each sequence's state after
    /// its own last step. lengths: N values in [1, T] in any order, or empty when every sequence has T steps.
    /// NaN or infinity in the input propagate to the outputs of the sequences they belong to; nothing is thrown.
    /// training = true keeps what <see cref="Backward"/> needs and applies dropout between layers.
    /// The outputs (output, hN, cN) must not overlap the inputs (input, h0, c0) nor each other: an
    /// ArgumentException says so (layers read their input while writing). The one exception: hN may be h0
    /// itself and cN c0 itself (the same span), to carry a state from call to call.
    /// </summary>
    public void Forward(ReadOnlySpan<float> input, int seqLength, int batchSize, Span<float> output,
        ReadOnlySpan<float> h0 = default, ReadOnlySpan<float> c0 = default,
        Span<float> hN = default, Span<float> cN = default,
        ReadOnlySpan<int> lengths = default, bool training = false)
    {
        using CallGuard.Scope call = _guard.Enter(nameof(Forward));
        if (training) RequireFloat32("training");
        ValidateForward(input, seqLength, batchSize, output, h0, c0, hN, cN, lengths);
        if (training) RequireOwnedWeights();
        NativeLoader.EnsureLoaded();
        _tape = TapeState.None;
        _steppedTape = false;
        _stepped.Stop();

        int N = batchSize, L = Config.NumLayers, D = Config.Directions;
        _plan.Build(seqLength, batchSize, lengths);
        int R = _plan.TotalRows;
        int width = Config.OutputSize;

        fixed (float* pInput = input, pOutput = output, pH0 = h0, pC0 = c0, pHN = hN, pCN = cN)
        {
            // Inference on plain time-major batches reads the input and writes the last layer's output in
            // place (the packed layout is then the caller's layout); otherwise rows are gathered and scattered.
            bool inPlace = !training && !Config.BatchFirst && !_plan.HasLengths;
            float* x = inPlace ? pInput : _input.Ensure((long)R * Config.InputSize);
            if (!inPlace) _layout.Gather(pInput, Config.InputSize, x, UseSideThread);
            for (int l = 0; l < L; l++)
            {
                float* y = inPlace && l == L - 1 ? pOutput : _outputs[l].Ensure((long)R * width);
                _runner.Forward(l, x, y, pH0, pC0, pHN, pCN, training);
                x = training && Config.Dropout > 0 && l < L - 1 ? ApplyDropout(l, 0, R, R) : y;
            }
            if (!inPlace) _layout.Scatter(x, width, pOutput, UseSideThread);
        }

        if (training) RecordTape();
    }

    private void RecordTape()
    {
        for (int i = 0; i < _versionsAtForward.Length; i++) _versionsAtForward[i] = Parameters[i].Version;
        _tape = TapeState.Recorded;
    }

    /// <summary>Training accumulates into the parameters' gradients, which a session shares with others.</summary>
    private void RequireOwnedWeights()
    {
        if (!_ownsWeights)
            throw new InvalidOperationException("this session shares its weights (RecurrentWeights.CreateSession) and runs inference only; train with the RecurrentStack that owns the weights");
    }

    /// <summary>
    /// Backward through time of the last Forward(training: true). gradOutput has output's shape (values at
    /// padded steps are ignored); gradHn / gradCn the shapes of hN / cN, or empty for zero. Writes gradInput
    /// (input's shape, 0 at padded steps) and, when not empty, gradH0 / gradC0; accumulates (+=) every
    /// parameter's Grad. Can run once per training forward.
    /// </summary>
    public void Backward(ReadOnlySpan<float> gradOutput, Span<float> gradInput,
        ReadOnlySpan<float> gradHn = default, ReadOnlySpan<float> gradCn = default,
        Span<float> gradH0 = default, Span<float> gradC0 = default)
    {
        using CallGuard.Scope call = _guard.Enter(nameof(Backward));
        ValidateBackward(gradOutput, gradInput, gradHn, gradCn, gradH0, gradC0);
        _tape = TapeState.Consumed;

        int L = Config.NumLayers, D = Config.Directions, R = _plan.TotalRows, width = Config.OutputSize;
        fixed (float* pGradOutput = gradOutput, pGradInput = gradInput, pGradHn = gradHn, pGradCn = gradCn,
               pGradH0 = gradH0, pGradC0 = gradC0)
        {
            // On plain time-major batches the packed layout is the caller's, so the output gradient is read
            // and the input gradient written in place (unless the two overlap: layer 0 would then overwrite
            // the gradient it still reads).
            bool inPlace = !Config.BatchFirst && !_plan.HasLengths && !gradOutput.Overlaps(gradInput);
            float* dy = inPlace ? pGradOutput : _outputGrads[L - 1].Ensure((long)R * width);
            if (!inPlace) _layout.Gather(pGradOutput, width, dy, UseSideThread);
            for (int l = L - 1; l >= 0; l--)
            {
                int inputWidth = Config.LayerInputSize(l);
                float* x = l == 0 ? _input.Pointer : LayerInput(l);
                // The gradient w.r.t. this layer's input: the layer below's output gradient, or the input's.
                float* dx = l > 0 ? _outputGrads[l - 1].Ensure((long)R * inputWidth)
                    : inPlace ? pGradInput : _inputGrad.Ensure((long)R * inputWidth);
                // Each direction writes its share of the input gradient (the reverse one to its own buffer,
                // as it may run concurrently), then the shares are summed.
                float* dxReverse = D == 2 ? _inputGradReverse.Ensure((long)R * inputWidth) : null;
                _runner.Backward(l, x, _outputs[l].Pointer, dy, dx, dxReverse, pGradH0, pGradC0, pGradHn, pGradCn);
                if (D == 2) Rows.Add(dx, inputWidth, dxReverse, inputWidth, dx, inputWidth, R, inputWidth);
                if (l > 0 && Config.Dropout > 0)
                    MultiplyInPlace(dx, _dropoutMasks[l - 1].Pointer, (long)R * inputWidth);
                dy = dx;
            }
            if (!inPlace) _layout.Scatter(_inputGrad.Pointer, Config.InputSize, pGradInput, UseSideThread);
        }
    }

    /// <summary>The input of layer l (l > 0): the layer below's output, after dropout in training.</summary>
    private float* LayerInput(int l) =>
        Config.Dropout > 0 ? _droppedOutputs[l - 1].Pointer : _outputs[l - 1].Pointer;

    /// <summary>Inverted dropout on rows [first, first + rows) of layer l's output; returns the dropped buffer.</summary>
    private float* ApplyDropout(int l, long first, long rows, long capacityRows)
    {
        int width = Config.OutputSize;
        float* y = _outputs[l].Pointer;
        float* mask = _dropoutMasks[l].Ensure(capacityRows * width);
        float* dropped = _droppedOutputs[l].Ensure(capacityRows * width);
        long start = first * width;
        DropoutMask.DrawAndApply(_dropoutRandom, Config.Dropout, y + start, mask + start, dropped + start, rows * width);
        return dropped;
    }

    private static void MultiplyInPlace(float* values, float* factors, long count)
    {
        for (long i = 0; i < count; i++) values[i] *= factors[i];
    }

    // ---------------------------------------------------------------- validation

    private void ValidateForward(ReadOnlySpan<float> input, int T, int N, Span<float> output,
        ReadOnlySpan<float> h0, ReadOnlySpan<float> c0, Span<float> hN, Span<float> cN, ReadOnlySpan<int> lengths)
    {
        if (T < 1) throw new ArgumentOutOfRangeException("seqLength", T, "sequence length must be >= 1");
        if (N < 1) throw new ArgumentOutOfRangeException("batchSize", N, "batch size must be >= 1");
        SizeMath.RequireStackRows(Config, SizeMath.Count(T, N, "seqLength * batchSize", "seqLength"), "seqLength * batchSize", "seqLength");
        string layout = Config.BatchFirst ? "as (N, T, input size)" : "as (T, N, input size)";
        Shapes.Require("input", input.Length, Config.BatchFirst ? [N, T, Config.InputSize] : [T, N, Config.InputSize], layout);
        Shapes.Require("output", output.Length, Config.BatchFirst ? [N, T, Config.OutputSize] : [T, N, Config.OutputSize],
            Config.BatchFirst ? "as (N, T, directions * hidden)" : "as (T, N, directions * hidden)");
        int S = Config.NumLayers * Config.Directions;
        RequireNoOverlap(input, output, h0, c0, hN, cN);
        Shapes.RequireOptional("h0", h0.Length, [S, N, Config.OutputHiddenSize], "as (layers * directions, N, hidden)");
        Shapes.RequireOptional("hN", hN.Length, [S, N, Config.OutputHiddenSize], "as (layers * directions, N, hidden)");
        if (Config.Cell == CellKind.Lstm)
        {
            Shapes.RequireOptional("c0", c0.Length, [S, N, Config.HiddenSize], "as (layers * directions, N, hidden)");
            Shapes.RequireOptional("cN", cN.Length, [S, N, Config.HiddenSize], "as (layers * directions, N, hidden)");
        }
        else
        {
            if (!c0.IsEmpty) throw new ArgumentException($"c0 is for LSTM only; this stack is {Config.ModeName}", "c0");
            if (!cN.IsEmpty) throw new ArgumentException($"cN is for LSTM only; this stack is {Config.ModeName}", "cN");
        }
        if (!lengths.IsEmpty)
        {
            if (lengths.Length != N)
                throw new ArgumentException($"lengths must hold one value per sequence (N = {N}), got {lengths.Length}", nameof(lengths));
            for (int b = 0; b < N; b++)
                if (lengths[b] < 1 || lengths[b] > T)
                    throw new ArgumentOutOfRangeException(nameof(lengths), lengths[b], $"lengths[{b}] = {lengths[b]} is outside [1, T = {T}]");
        }
    }

    /// <summary>Outputs disjoint from inputs and from each other, except hN == h0 and cN == c0 exactly (each state slice is read before it is written).</summary>
    private static void RequireNoOverlap(ReadOnlySpan<float> input, Span<float> output, ReadOnlySpan<float> h0, ReadOnlySpan<float> c0, Span<float> hN, Span<float> cN)
    {
        static bool Same(ReadOnlySpan<float> a, ReadOnlySpan<float> b) => a.Length == b.Length && a.Overlaps(b, out int offset) && offset == 0;
        static void Check(ReadOnlySpan<float> written, string writtenName, ReadOnlySpan<float> other, string otherName)
        {
            if (!written.IsEmpty && written.Overlaps(other))
                throw new ArgumentException($"{writtenName} overlaps {otherName}: Forward does not run in place (pass separate buffers)", writtenName);
        }
        Check(output, "output", input, "input");
        Check(output, "output", h0, "h0");
        Check(output, "output", c0, "c0");
        Check(hN, "hN", input, "input");
        Check(hN, "hN", output, "output");
        if (!Same(hN, h0)) Check(hN, "hN", h0, "h0");
        Check(hN, "hN", c0, "c0");
        Check(cN, "cN", input, "input");
        Check(cN, "cN", output, "output");
        Check(cN, "cN", hN, "hN");
        Check(cN, "cN", h0, "h0");
        if (!Same(cN, c0)) Check(cN, "cN", c0, "c0");
    }

    /// <summary>A backward needs an unconsumed training forward of the same kind, with the weights it saw.</summary>
    private void ValidateTape(bool stepped)
    {
        if (_tape == TapeState.None)
            throw new InvalidOperationException("Backward needs a preceding training forward on this stack (Forward(..., training: true) or BeginSteps(..., training: true))");
        if (_tape == TapeState.Consumed)
            throw new InvalidOperationException("Backward was already called for the last training forward; run the forward again");
        if (stepped != _steppedTape)
            throw new InvalidOperationException(stepped
                ? "the last training forward was a whole-sequence Forward; use Backward"
                : "the last training forward was stepped (BeginSteps); use BeginStepsBackward / BackwardStep / EndStepsBackward");
        for (int i = 0; i < _versionsAtForward.Length; i++)
            if (Parameters[i].Version != _versionsAtForward[i])
                throw new InvalidOperationException($"parameter {Parameters[i].Name} changed after the training forward; run the forward again before Backward");
    }

    private void ValidateBackward(ReadOnlySpan<float> gradOutput, Span<float> gradInput, ReadOnlySpan<float> gradHn,
        ReadOnlySpan<float> gradCn, Span<float> gradH0, Span<float> gradC0)
    {
        ValidateTape(stepped: false);
        int T = _plan.SeqLength, N = _plan.BatchSize, S = Config.NumLayers * Config.Directions;
        Shapes.Require("gradOutput", gradOutput.Length, Config.BatchFirst ? [N, T, Config.OutputSize] : [T, N, Config.OutputSize], "as the forward's output");
        Shapes.Require("gradInput", gradInput.Length, Config.BatchFirst ? [N, T, Config.InputSize] : [T, N, Config.InputSize], "as the forward's input");
        Shapes.RequireOptional("gradHn", gradHn.Length, [S, N, Config.OutputHiddenSize], "hN's shape");
        Shapes.RequireOptional("gradH0", gradH0.Length, [S, N, Config.OutputHiddenSize], "h0's shape");
        if (Config.Cell == CellKind.Lstm)
        {
            Shapes.RequireOptional("gradCn", gradCn.Length, [S, N, Config.HiddenSize], "cN's shape");
            Shapes.RequireOptional("gradC0", gradC0.Length, [S, N, Config.HiddenSize], "c0's shape");
        }
        else if (!gradCn.IsEmpty || !gradC0.IsEmpty)
        {
            throw new ArgumentException($"cell-state gradients are for LSTM only; this stack is {Config.ModeName}", gradCn.IsEmpty ? "gradC0" : "gradCn");
        }
    }

    /// <summary>Frees the native memory; during a call on another thread, at that call's end.</summary>
    public void Dispose() => _guard.Dispose();

    private void Release()
    {
        _pair.Dispose();
        DisposeReduced();
        foreach (LayerDirection c in _cells) c.Dispose();
        if (_ownsWeights) _weights.Dispose();
        _input.Dispose();
        _inputGrad.Dispose();
        _inputGradReverse.Dispose();
        foreach (var w in _outputs.Concat(_outputGrads).Concat(_dropoutMasks).Concat(_droppedOutputs)) w.Dispose();
    }
}
