using MklRnn.CharLm;


namespace MklRnn.Cli.CharLm;

/// <summary>When a run stops: whichever limit comes first. Steps and epochs count over the whole run (a resume continues
/// the count); seconds count this session only. No limit at all means one epoch.</summary>
internal sealed record TrainBudget(double? Seconds = null, int? Epochs = null, long? Steps = null)
{
    public void Validate()
    {
        if (Seconds is double s && !(s > 0)) throw new CharLmException($"--time must be > 0 seconds, got {s}");
        if (Epochs is int e && e < 1) throw new CharLmException($"--epochs must be >= 1, got {e}");
        if (Steps is long n && n < 1) throw new CharLmException($"--steps must be >= 1, got {n}");
    }

    public TrainBudget OrDefault => Seconds == null && Epochs == null && Steps == null ? this with { Epochs = 1 } : this;

    /// <summary>How far along the run is, in [0, 1], by the limit closest to being reached.</summary>
    public double Fraction(double sessionSeconds, long step, double epochs)
    {
        double f = 0;
        if (Seconds is double s) f = Math.Max(f, sessionSeconds / s);
        if (Epochs is int e) f = Math.Max(f, epochs / e);
        if (Steps is long n) f = Math.Max(f, (double)step / n);
        return Math.Clamp(f, 0, 1);
    }

    public bool Reached(double sessionSeconds, long step, int completedEpochs) =>
        (Seconds is double s && sessionSeconds >= s) || (Epochs is int e && completedEpochs >= e) || (Steps is long n && step >= n);
}
