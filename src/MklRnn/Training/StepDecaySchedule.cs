namespace MklRnn.Training;

/// <summary>
/// PyTorch's StepLR: initial * gamma^floor(step / stepSize), i.e. the rate is multiplied by
/// <see cref="Gamma"/> every <see cref="StepSize"/> steps.
/// </summary>
public sealed class StepDecaySchedule : ILearningRateSchedule
{
    public StepDecaySchedule(float initialLearningRate, long stepSize, float gamma = 0.1f)
    {
        Schedules.CheckRate(initialLearningRate, nameof(initialLearningRate));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(stepSize);
        if (!(gamma > 0) || !float.IsFinite(gamma))
            throw new ArgumentOutOfRangeException(nameof(gamma), gamma, "gamma must be positive and finite");
        InitialLearningRate = initialLearningRate;
        StepSize = stepSize;
        Gamma = gamma;
    }

    public float InitialLearningRate { get; }
    public long StepSize { get; }
    public float Gamma { get; }

    public float LearningRateAt(long step) =>
        (float)(InitialLearningRate * Math.Pow(Gamma, Math.Max(step, 0) / StepSize));
}
