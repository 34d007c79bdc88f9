namespace MklRnn.Layers;

/// <summary>
/// The state machine of the stepped API (BeginSteps, Step..., then in training BeginStepsBackward,
/// BackwardStep..., EndStepsBackward): which call may come next, how many steps were taken, which one
/// BackwardStep handles next, and the error that says what was expected. No buffers: the stack holds them.
/// </summary>
internal sealed class SteppedRun
{
    private enum State { Off, Inference, Training, Backward }

    private State _state;
    private int _capacity;     // training steps the tape was sized for

    /// <summary>Steps taken since Begin.</summary>
    public int StepCount { get; private set; }

    /// <summary>The step BackwardStep handles next, counting down (backward phase).</summary>
    public int BackwardStep { get; private set; }

    public bool Training => _state == State.Training;

    public void Begin(bool training, int maxSteps)
    {
        _state = training ? State.Training : State.Inference;
        _capacity = maxSteps;
        StepCount = 0;
    }

    /// <summary>A whole-sequence Forward ends any stepped run.</summary>
    public void Stop() => _state = State.Off;

    /// <summary>Checks a Step may run; returns the index of the step (its rows in training).</summary>
    public int NextStep()
    {
        if (_state is not (State.Inference or State.Training))
            throw new InvalidOperationException("Step needs BeginSteps first (and no backward started since)");
        if (_state == State.Training && StepCount == _capacity)
            throw new InvalidOperationException($"BeginSteps reserved {_capacity} training steps; all are used");
        return StepCount;
    }

    /// <summary>Counts the step NextStep admitted, once it completed.</summary>
    public void StepDone() => StepCount++;

    public void RequireStarted(string member)
    {
        if (_state == State.Off) throw new InvalidOperationException($"{member} needs BeginSteps first");
    }

    public void BeginBackward()
    {
        if (_state != State.Training)
            throw new InvalidOperationException("BeginStepsBackward follows the training steps, once");
    }

    /// <summary>Enters the backward phase (after the caller's checks of its arguments passed).</summary>
    public void BackwardStarted()
    {
        _state = State.Backward;
        BackwardStep = StepCount;
    }

    /// <summary>Checks a BackwardStep may run; returns the index of the step it handles.</summary>
    public int NextBackwardStep()
    {
        if (_state != State.Backward) throw new InvalidOperationException("BackwardStep needs BeginStepsBackward first");
        if (BackwardStep == 0) throw new InvalidOperationException($"all {StepCount} steps were already handled; call EndStepsBackward");
        return BackwardStep - 1;
    }

    /// <summary>Counts the backward step NextBackwardStep admitted.</summary>
    public void BackwardStepDone() => BackwardStep--;

    public void RequireBackwardComplete()
    {
        if (_state != State.Backward) throw new InvalidOperationException("EndStepsBackward needs BeginStepsBackward first");
        if (BackwardStep != 0) throw new InvalidOperationException($"{BackwardStep} steps still need BackwardStep before EndStepsBackward");
    }
}
