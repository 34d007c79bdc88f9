namespace MklRnn.Training;

/// <summary>
/// The outcome of one loss evaluation: the reduced loss, how many tokens were counted (rows whose
/// target is not the ignore index) and the sum of their per-token losses.
/// </summary>
/// <param name="Loss">The reduced loss (mean or sum, as requested).</param>
/// <param name="TokenCount">Rows that counted (targets other than the ignore index).</param>
/// <param name="TokenLossSum">Sum of the per-token cross-entropies (natural log), in double.</param>
public readonly record struct LossResult(double Loss, int TokenCount, double TokenLossSum)
{
    /// <summary>Mean per-token loss (0 when no token counted).</summary>
    public double MeanTokenLoss => TokenCount == 0 ? 0 : TokenLossSum / TokenCount;

    /// <summary>exp(mean per-token loss), whatever the reduction (1 when no token counted).</summary>
    public double Perplexity => Training.Perplexity.FromMeanLoss(MeanTokenLoss);
}
