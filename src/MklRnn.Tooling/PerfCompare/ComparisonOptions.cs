using System.Globalization;

namespace MklRnn.Tooling.PerfCompare;

/// <summary>The knobs of a comparison.</summary>
/// <param name="Threshold">Smallest relative change of the median that counts (0.05: 5 %).</param>
/// <param name="Alpha">Significance level of the Mann-Whitney test.</param>
/// <param name="NoiseCv">A result whose raw measurements have a larger coefficient of variation is flagged noisy.</param>
/// <param name="MinMeasurements">A result with fewer raw measurements is flagged noisy.</param>
public sealed record ComparisonOptions(
    double Threshold = 0.05,
    double Alpha = 0.05,
    double NoiseCv = 0.10,
    int MinMeasurements = 5)
{
    public static ComparisonOptions Default { get; } = new();

    /// <summary>Options from command-line text such as "5%" or "0.05"; an <see cref="ArgumentException"/> if bad.</summary>
    public static ComparisonOptions Parse(string threshold, string alpha, string noise)
    {
        double t = ParseFraction(threshold, "--threshold");
        double a = ParseFraction(alpha, "--alpha");
        double n = ParseFraction(noise, "--noise");
        if (a <= 0 || a >= 1)
            throw new ArgumentException($"--alpha must lie strictly between 0 and 1, not '{alpha}'");
        if (n <= 0)
            throw new ArgumentException($"--noise must be positive, not '{noise}'");
        return new ComparisonOptions(t, a, n);
    }

    /// <summary>
    /// "5%" -> 0.05, "0.05" -> 0.05. A bare number above 1 ("5") is refused as ambiguous rather than guessed.
    /// </summary>
    public static double ParseFraction(string text, string option)
    {
        string s = text.Trim();
        bool percent = s.EndsWith('%');
        if (percent)
            s = s[..^1].TrimEnd();
        if (!double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out double value)
            || !double.IsFinite(value) || value < 0)
        {
            throw new ArgumentException($"{option} expects a non-negative fraction such as 5% or 0.05, not '{text}'");
        }
        if (percent)
            return value / 100;
        if (value > 1)
            throw new ArgumentException($"{option} '{text}' is ambiguous: write {text}% or {value / 100:0.####}");
        return value;
    }
}
