namespace MklRnn.Training;

/// <summary>The same learning rate at every step.</summary>
public sealed class ConstantSchedule : ILearningRateSchedule
{
    public ConstantSchedule(float learningRate)
    {
        Schedules.CheckRate(learningRate, nameof(learningRate));
        LearningRate = learningRate;
    }

    public float LearningRate { get; }

    public float LearningRateAt(long step) => LearningRate;
}
