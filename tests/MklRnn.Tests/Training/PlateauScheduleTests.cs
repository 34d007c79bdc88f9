using MklRnn.Training;

namespace MklRnn.Tests.Training;

/// <summary>PlateauSchedule against PyTorch's ReduceLROnPlateau rules (mode min, relative threshold).</summary>
public class PlateauScheduleTests
{
    [Fact]
    public void ReducesAfterPatiencePlusOneReportsWithoutImprovement()
    {
        var schedule = new PlateauSchedule(1f, factor: 0.5f, patience: 1, threshold: 0.01);
        // 2.0 best; 1.99 is within the 1% threshold (not an improvement); 2.5 bad -> second bad report reduces.
        (double Metric, float Rate)[] steps = [(2.0, 1f), (1.99, 1f), (2.5, 0.5f), (1.5, 0.5f), (1.6, 0.5f), (1.6, 0.25f), (double.NaN, 0.25f), (double.NaN, 0.125f)];
        foreach (var (metric, rate) in steps)
        {
            schedule.Report(metric);
            Assert.Equal(rate, schedule.LearningRateAt(123));
        }
        Assert.Equal(1.5, schedule.Best);
    }

    [Fact]
    public void NeverGoesBelowTheMinimumAndRefusesBadArguments()
    {
        var schedule = new PlateauSchedule(1f, factor: 0.1f, patience: 0, minimumLearningRate: 0.05f);
        for (int i = 0; i < 5; i++) schedule.Report(3);
        Assert.Equal(0.05f, schedule.CurrentLearningRate);
        Assert.Throws<ArgumentOutOfRangeException>(() => new PlateauSchedule(1f, factor: 1f));
        Assert.Throws<ArgumentOutOfRangeException>(() => new PlateauSchedule(1f, patience: -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new PlateauSchedule(float.NaN));
    }
}
