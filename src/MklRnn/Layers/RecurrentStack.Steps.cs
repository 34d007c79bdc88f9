using MklRnn.Cells;
using MklRnn.Core;
using MklRnn.Layers.StepLoops;
using MklRnn.Threading;

namespace MklRnn.Layers;

/// <summary>
/// The stepped form of a unidirectional stack, for decoders whose next input depends on their last
/// output (input feeding, sampling): BeginSteps, then Step once per time step. In training mode the
/// steps build the same tape as a whole-sequence Forward (rows t*N of every buffer), and backward
/// runs step by step in reverse (BackwardStep returns each step's input gradient, which the caller
/// may route into earlier steps' output gradients), then EndStepsBackward applies the weight
/// gradients as GEMMs over all steps at once.
/// </summary>
public sealed unsafe partial class RecurrentStack
{
    /// <summary>
    /// Starts a stepped run of N sequences. maxSteps bounds the steps in training (the tape is sized for it);
    /// inference reuses one row block and has no bound. h0 (L, N, Hout), c0 (L, N, H): empty for zeros.
    /// </summary>
    public void BeginSteps(int batchSize, int maxSteps, ReadOnlySpan<float> h0 = default, ReadOnlySpan<float> c0 = default, bool training = false)
    {
        using CallGuard.Scope call = _guard.Enter(nameof(BeginSteps));
        if (training) RequireFloat32("training");
        if (Config.Bidirectional)
            throw new InvalidOperationException("stepping needs a unidirectional stack: a reverse direction needs the whole sequence first");
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "batch size must be >= 1");
        if (maxSteps < 1) throw new ArgumentOutOfRangeException(nameof(maxSteps), maxSteps, "maxSteps must be >= 1");
        // The training tape holds maxSteps * N rows of every buffer; inference one block of N.
        long tapeRows = training ? SizeMath.Count(maxSteps, batchSize, "maxSteps * batchSize", nameof(maxSteps)) : batchSize;
        SizeMath.RequireStackRows(Config, tapeRows, training ? "maxSteps * batchSize" : "batchSize", training ? nameof(maxSteps) : nameof(batchSize));
        int L = Config.NumLayers;
        Shapes.RequireOptional("h0", h0.Length, [L, batchSize, Config.OutputHiddenSize], "as (layers, N, hidden)");
        if (Config.Cell == CellKind.Lstm)
            Shapes.RequireOptional("c0", c0.Length, [L, batchSize, Config.HiddenSize], "as (layers, N, hidden)");
        else if (!c0.IsEmpty)
            throw new ArgumentException($"c0 is for LSTM only; this stack is {Config.ModeName}", nameof(c0));
        if (training) RequireOwnedWeights();
        Interop.NativeLoader.EnsureLoaded();

        _tape = TapeState.None;
        _steppedTape = training;
        _stepped.Begin(training, maxSteps);
        _plan.Build(training ? maxSteps : 1, batchSize, default);
        long rows = _plan.TotalRows;
        _input.Ensure(rows * Config.InputSize);
        fixed (float* pH0 = h0, pC0 = c0)
        {
            for (int l = 0; l < L; l++)
            {
                LayerDirection ld = _cells[l];
                ReducedPrecisionCell? reduced = training ? null : _reduced?[l];
                ld.Prepare(rows, batchSize, training, reducedPrecision: reduced != null);
                reduced?.Prepare(ld, batchSize, batchSize);
                _outputs[l].Ensure(rows * Config.OutputSize);
                _runner.LoadState(pH0, pC0, l, ld);
            }
        }
        if (training) RecordTape();
    }

    /// <summary>One step: input (N, I) in, the top layer's h (N, Hout) out.</summary>
    public void Step(ReadOnlySpan<float> input, Span<float> output)
    {
        using CallGuard.Scope call = _guard.Enter(nameof(Step));
        int step = _stepped.NextStep();
        bool training = _stepped.Training;
        int N = _plan.BatchSize, L = Config.NumLayers, width = Config.OutputSize;
        Shapes.Require("input", input.Length, [N, Config.InputSize], "as (N, input size)");
        Shapes.Require("output", output.Length, [N, width], "as (N, hidden)");

        long o = training ? (long)step * N : 0;
        using var kernelThreads = KernelThreadScope.MatchMkl();
        fixed (float* pInput = input, pOutput = output)
        {
            float* x = _input.Pointer + o * Config.InputSize;
            Rows.Copy(pInput, Config.InputSize, x, Config.InputSize, N, Config.InputSize);
            for (int l = 0; l < L; l++)
            {
                LayerDirection ld = _cells[l];
                ReducedPrecisionCell? reduced = training ? null : _reduced?[l];
                if (reduced != null)
                {
                    reduced.ProjectInput(ld, x, N); // inference: o = 0
                    reduced.Step(ld, new LayerRows(_outputs[l].Pointer, width), N, 0);
                }
                else
                {
                    InputGemms.Project(ld, x, N, ld.Gates.Pointer + o * ld.GH);
                    _cell.Forward(ld, new LayerRows(_outputs[l].Pointer, width), N, (int)o, 0, training);
                }
                x = training && Config.Dropout > 0 && l < L - 1
                    ? ApplyDropout(l, o, N, _plan.TotalRows) + o * width
                    : _outputs[l].Pointer + o * width;
            }
            Rows.Copy(_outputs[L - 1].Pointer + o * width, width, pOutput, width, N, width);
        }
        _stepped.StepDone();
    }

    /// <summary>The running state after the last step: h (L, N, Hout); c (L, N, H) for LSTM, or empty to skip.</summary>
    public void CopyState(Span<float> h, Span<float> c = default)
    {
        using CallGuard.Scope call = _guard.Enter(nameof(CopyState));
        _stepped.RequireStarted(nameof(CopyState));
        int L = Config.NumLayers, N = _plan.BatchSize;
        Shapes.Require("h", h.Length, [L, N, Config.OutputHiddenSize], "as (layers, N, hidden)");
        if (Config.Cell == CellKind.Lstm) Shapes.RequireOptional("c", c.Length, [L, N, Config.HiddenSize], "as (layers, N, hidden)");
        else if (!c.IsEmpty) throw new ArgumentException($"c is for LSTM only; this stack is {Config.ModeName}", nameof(c));
        fixed (float* pH = h, pC = c)
            for (int l = 0; l < L; l++) _runner.StoreState(pH, pC, l, _cells[l]);
    }

    /// <summary>Starts the stepped backward; gradHn (L, N, Hout) / gradCn (L, N, H): gradients w.r.t. the final state, or empty.</summary>
    public void BeginStepsBackward(ReadOnlySpan<float> gradHn = default, ReadOnlySpan<float> gradCn = default)
    {
        using CallGuard.Scope call = _guard.Enter(nameof(BeginStepsBackward));
        ValidateTape(stepped: true);
        _stepped.BeginBackward();
        int L = Config.NumLayers, N = _plan.BatchSize;
        Shapes.RequireOptional("gradHn", gradHn.Length, [L, N, Config.OutputHiddenSize], "as (layers, N, hidden)");
        if (Config.Cell == CellKind.Lstm) Shapes.RequireOptional("gradCn", gradCn.Length, [L, N, Config.HiddenSize], "as (layers, N, hidden)");
        else if (!gradCn.IsEmpty) throw new ArgumentException($"gradCn is for LSTM only; this stack is {Config.ModeName}", nameof(gradCn));
        _inputGrad.Ensure(_plan.TotalRows * (long)Config.InputSize);
        fixed (float* pGradHn = gradHn, pGradCn = gradCn)
        {
            for (int l = 0; l < L; l++)
            {
                _outputGrads[l].Ensure(_plan.TotalRows * (long)Config.OutputSize);
                _runner.LoadGradState(pGradHn, pGradCn, l, _cells[l]);
            }
        }
        _stepped.BackwardStarted();
    }

    /// <summary>
    /// Backward of the latest step not yet handled (steps go in reverse): gradOutput (N, Hout) is the
    /// gradient w.r.t. that step's output; writes the gradient w.r.t. that step's input (N, I).
    /// </summary>
    public void BackwardStep(ReadOnlySpan<float> gradOutput, Span<float> gradInput)
    {
        using CallGuard.Scope call = _guard.Enter(nameof(BackwardStep));
        int step = _stepped.NextBackwardStep();
        int N = _plan.BatchSize, L = Config.NumLayers, width = Config.OutputSize;
        Shapes.Require("gradOutput", gradOutput.Length, [N, width], "as (N, hidden)");
        Shapes.Require("gradInput", gradInput.Length, [N, Config.InputSize], "as (N, input size)");
        _stepped.BackwardStepDone();
        int o = step * N;
        using var kernelThreads = KernelThreadScope.MatchMkl();
        fixed (float* pGradOutput = gradOutput, pGradInput = gradInput)
        {
            Rows.Copy(pGradOutput, width, _outputGrads[L - 1].Pointer + (long)o * width, width, N, width);
            for (int l = L - 1; l >= 0; l--)
            {
                LayerDirection ld = _cells[l];
                _cell.Backward(ld, new LayerRows(_outputs[l].Pointer, width), new LayerRows(_outputGrads[l].Pointer, width), N, o, 0);
                // This step's input gradient: the layer below's output gradient (through its dropout), or the caller's.
                float* dx = (l == 0 ? _inputGrad.Pointer : _outputGrads[l - 1].Pointer) + (long)o * ld.I;
                InputGemms.InputGradient(ld, ld.Gates.Pointer + (long)o * ld.GH, N, dx);
                if (l > 0 && Config.Dropout > 0) MultiplyInPlace(dx, _dropoutMasks[l - 1].Pointer + (long)o * ld.I, (long)N * ld.I);
            }
            Rows.Copy(_inputGrad.Pointer + (long)o * Config.InputSize, Config.InputSize, pGradInput, Config.InputSize, N, Config.InputSize);
        }
    }

    /// <summary>Ends the stepped backward: accumulates every parameter gradient over all steps; writes gradH0 / gradC0 when not empty.</summary>
    public void EndStepsBackward(Span<float> gradH0 = default, Span<float> gradC0 = default)
    {
        using CallGuard.Scope call = _guard.Enter(nameof(EndStepsBackward));
        _stepped.RequireBackwardComplete();
        int L = Config.NumLayers, N = _plan.BatchSize;
        Shapes.RequireOptional("gradH0", gradH0.Length, [L, N, Config.OutputHiddenSize], "as (layers, N, hidden)");
        if (Config.Cell == CellKind.Lstm) Shapes.RequireOptional("gradC0", gradC0.Length, [L, N, Config.HiddenSize], "as (layers, N, hidden)");
        int rows = _stepped.StepCount * N;
        using var kernelThreads = KernelThreadScope.MatchMkl();
        fixed (float* pGradH0 = gradH0, pGradC0 = gradC0)
        {
            for (int l = 0; l < L; l++)
            {
                LayerDirection ld = _cells[l];
                _runner.StoreGradState(pGradH0, pGradC0, l, ld);
                _runner.AccumulateWeightGradients(ld, l == 0 ? _input.Pointer : LayerInput(l), rows);
            }
        }
        _tape = TapeState.Consumed;
        _stepped.Stop();
    }
}
