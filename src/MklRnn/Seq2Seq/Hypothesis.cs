namespace MklRnn.Seq2Seq;

/// <summary>
/// A decoded sequence: its tokens (without the end token), the sum of their log-probabilities (the end
/// token's included when it ended), the score it was ranked by (the log-probability divided by
/// length^alpha, length counting the end token), and whether it ended with the end token (false: cut at the maximum length).
/// </summary>
public sealed record Hypothesis(int[] Tokens, double LogProbability, double Score, bool Ended);
