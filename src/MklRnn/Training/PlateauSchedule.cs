namespace MklRnn.Training;

/// <summary>
/// PyTorch's ReduceLROnPlateau (mode "min", relative threshold): the rate starts at the initial rate and is
/// multiplied by <see cref="Factor"/> when <see cref="Patience"/> + 1 reported metrics in a row failed to improve on
/// the best one by more than the relative threshold (metric &lt; best * (1 - threshold)); the count restarts
/// after each reduction. Non-finite metrics count as no improvement. The rate never goes below
/// <see cref="MinimumLearningRate"/>. Unlike the other schedules the rate depends on the metrics reported, not on the
/// step, so a resumed run replays its validation history through <see cref="Report"/>.
/// </summary>
public sealed class PlateauSchedule : ILearningRateSchedule
{
    public PlateauSchedule(float initialLearningRate, float factor = 0.1f, int patience = 10, double threshold = 1e-4,
        float minimumLearningRate = 0f)
    {
        Schedules.CheckRate(initialLearningRate, nameof(initialLearningRate));
        Schedules.CheckRate(minimumLearningRate, nameof(minimumLearningRate));
        if (!(factor > 0 && factor < 1)) throw new ArgumentOutOfRangeException(nameof(factor), factor, "factor must be in (0, 1)");
        ArgumentOutOfRangeException.ThrowIfNegative(patience);
        if (!(threshold >= 0 && threshold < 1)) throw new ArgumentOutOfRangeException(nameof(threshold), threshold, "threshold must be in [0, 1)");
        CurrentLearningRate = initialLearningRate;
        Factor = factor;
        Patience = patience;
        Threshold = threshold;
        MinimumLearningRate = minimumLearningRate;
    }

    public float Factor { get; }
    public int Patience { get; }
    public double Threshold { get; }
    public float MinimumLearningRate { get; }

    /// <summary>The rate now (after the reductions so far).</summary>
    public float CurrentLearningRate { get; private set; }

    /// <summary>The lowest metric reported so far (+infinity before the first).</summary>
    public double Best { get; private set; } = double.PositiveInfinity;

    /// <summary>Reports without improvement since the best one (or since the last reduction).</summary>
    public int BadReports { get; private set; }

    /// <summary>Reports a metric (lower is better, e.g. a validation loss); returns true when it reduced the rate.</summary>
    public bool Report(double metric)
    {
        if (double.IsFinite(metric) && metric < Best * (1 - Threshold))
        {
            Best = metric;
            BadReports = 0;
            return false;
        }
        if (++BadReports <= Patience) return false;
        BadReports = 0;
        CurrentLearningRate = Math.Max(MinimumLearningRate, CurrentLearningRate * Factor);
        return true;
    }

    public float LearningRateAt(long step) => CurrentLearningRate;
}
