namespace MklRnn.Training;

/// <summary>
/// A learning rate as a function of the step index. <see cref="Optimizer.Step"/> asks it before each
/// update, with the 0-based index of the step about to be taken (= the optimizer's StepCount then).
/// </summary>
public interface ILearningRateSchedule
{
    /// <summary>The learning rate for step <paramref name="step"/> (0 = the first update).</summary>
    float LearningRateAt(long step);
}
