using MklRnn.CharLm;


namespace MklRnn.Cli.CharLm;

/// <summary>A snapshot of a running training, for progress displays.</summary>
/// <param name="Step">Steps taken over the whole run.</param>
/// <param name="Epochs">Epochs done, fractional.</param>
/// <param name="Loss">Mean training loss over the recent steps (nats per character).</param>
/// <param name="TokensPerSecond">Characters trained per second in this session.</param>
/// <param name="Fraction">Progress through the budget, in [0, 1].</param>
/// <param name="ValidationPerplexity">Last validation perplexity, or NaN before the first.</param>
internal readonly record struct TrainingStatus(long Step, double Epochs, double Loss, double TokensPerSecond, double Fraction, double ValidationPerplexity)
{
    public double Perplexity => Training.Perplexity.FromMeanLoss(Loss);
}

/// <summary>How a training run ended.</summary>
internal sealed record TrainResult(
    string CheckpointPath, string PlotPath, CharLmSpec Spec, long Steps, double Epochs, long SessionTokens,
    double SessionSeconds, double TrainLoss, double ValidationLoss, bool Interrupted)
{
    /// <summary>NAME.best.safetensors when a validation was finite, else null.</summary>
    public string? BestPath { get; init; }

    public double BestValidationLoss { get; init; } = double.NaN;

    /// <summary>Why the run stopped before its budget (early stopping), or null.</summary>
    public string? StopReason { get; init; }

    public double TokensPerSecond => SessionSeconds > 0 ? SessionTokens / SessionSeconds : 0;
    public double TrainPerplexity => Training.Perplexity.FromMeanLoss(TrainLoss);
    public double ValidationPerplexity => Training.Perplexity.FromMeanLoss(ValidationLoss);
}
