namespace MklRnn.Training;

/// <summary>
/// Cosine annealing (PyTorch's CosineAnnealingLR closed form) from the initial rate down to
/// <see cref="MinimumLearningRate"/> over <see cref="TotalSteps"/> steps, then constant at the minimum:
/// min + (initial - min) * (1 + cos(pi * step / total)) / 2.
/// </summary>
public sealed class CosineSchedule : ILearningRateSchedule
{
    public CosineSchedule(float initialLearningRate, long totalSteps, float minimumLearningRate = 0f)
    {
        Schedules.CheckRate(initialLearningRate, nameof(initialLearningRate));
        Schedules.CheckRate(minimumLearningRate, nameof(minimumLearningRate));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(totalSteps);
        InitialLearningRate = initialLearningRate;
        TotalSteps = totalSteps;
        MinimumLearningRate = minimumLearningRate;
    }

    public float InitialLearningRate { get; }
    public long TotalSteps { get; }
    public float MinimumLearningRate { get; }

    public float LearningRateAt(long step)
    {
        double progress = Math.Clamp((double)step / TotalSteps, 0, 1);
        return (float)(MinimumLearningRate + (InitialLearningRate - MinimumLearningRate) * (1 + Math.Cos(Math.PI * progress)) / 2);
    }
}
