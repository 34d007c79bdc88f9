namespace MklRnn.Training;

/// <summary>
/// When a training step counts as diverged, so a trainer skips it (no update) instead of writing NaN or garbage over
/// good weights: a mean loss per token that is not finite or above <see cref="MaxLossPerToken"/>, or a gradient norm
/// that is not finite.
/// </summary>
public static class Divergence
{
    /// <summary>
    /// Nats per token. Guessing uniformly costs ln V (under 14 nats even for all of Unicode); 1000 nats means the true
    /// tokens got probabilities of e^-1000, which only a blown-up model gives (an LSTM at rate 1e30 trains on finite
    /// losses of ~1e31: its gates saturate, so nothing becomes NaN).
    /// </summary>
    public const double MaxLossPerToken = 1000;

    public static bool IsDiverged(double meanTokenLoss, double gradientNorm) =>
        !(meanTokenLoss <= MaxLossPerToken) || !double.IsFinite(gradientNorm); // !(x <= max) is also true for NaN
}
