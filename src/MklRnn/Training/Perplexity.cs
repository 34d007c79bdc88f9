namespace MklRnn.Training;

/// <summary>
/// Accumulates per-token losses over many batches (an epoch, a validation pass) and reports the
/// perplexity exp(total loss / total tokens), which weighs every token equally whatever the batch sizes.
/// </summary>
public sealed class Perplexity
{
    /// <summary>Sum of per-token losses added so far.</summary>
    public double TokenLossSum { get; private set; }

    /// <summary>Tokens added so far.</summary>
    public long TokenCount { get; private set; }

    /// <summary>Mean per-token loss (0 before any token).</summary>
    public double MeanLoss => TokenCount == 0 ? 0 : TokenLossSum / TokenCount;

    /// <summary>exp(<see cref="MeanLoss"/>): 1 before any token.</summary>
    public double Value => FromMeanLoss(MeanLoss);

    /// <summary>Adds the tokens of one loss evaluation.</summary>
    public void Add(LossResult result) => Add(result.TokenLossSum, result.TokenCount);

    /// <summary>Adds <paramref name="tokenCount"/> tokens whose per-token losses sum to <paramref name="tokenLossSum"/>.</summary>
    public void Add(double tokenLossSum, long tokenCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(tokenCount);
        TokenLossSum += tokenLossSum;
        TokenCount += tokenCount;
    }

    /// <summary>Forgets everything added.</summary>
    public void Reset()
    {
        TokenLossSum = 0;
        TokenCount = 0;
    }

    /// <summary>exp(mean per-token loss).</summary>
    public static double FromMeanLoss(double meanTokenLoss) => Math.Exp(meanTokenLoss);

    /// <summary>Bits per token, log2(perplexity): the mean per-token loss (in nats) over ln 2.</summary>
    public static double BitsFromMeanLoss(double meanTokenLoss) => meanTokenLoss / Math.Log(2);
}
