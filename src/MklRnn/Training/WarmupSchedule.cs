namespace MklRnn.Training;

/// <summary>
/// Linear warm-up in front of another schedule: for the first <see cref="WarmupSteps"/> steps the
/// inner rate is multiplied by (step + 1) / warmupSteps, then the inner schedule runs unchanged
/// (it sees the same step index, not one shifted by the warm-up).
/// </summary>
public sealed class WarmupSchedule : ILearningRateSchedule
{
    public WarmupSchedule(ILearningRateSchedule inner, long warmupSteps)
    {
        ArgumentNullException.ThrowIfNull(inner);
        ArgumentOutOfRangeException.ThrowIfNegative(warmupSteps);
        Inner = inner;
        WarmupSteps = warmupSteps;
    }

    public ILearningRateSchedule Inner { get; }
    public long WarmupSteps { get; }

    public float LearningRateAt(long step)
    {
        float rate = Inner.LearningRateAt(step);
        return step < WarmupSteps ? (float)(rate * (double)(step + 1) / WarmupSteps) : rate;
    }
}
