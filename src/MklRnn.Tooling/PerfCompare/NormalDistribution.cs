namespace MklRnn.Tooling.PerfCompare;

/// <summary>The standard normal distribution's tail, for the Mann-Whitney normal approximation.</summary>
public static class NormalDistribution
{
    /// <summary>
    /// The complementary error function, to about 1e-15 relative accuracy: 1 - erf(x) from a positive-term series
    /// for |x| &lt; 1 (erf(x) = 2/sqrt(pi) e^(-x^2) sum 2^n x^(2n+1) / (1*3*...*(2n+1))), where erfc(x) &gt; 0.15 so
    /// the subtraction loses nothing; a continued fraction beyond.
    /// </summary>
    public static double Erfc(double x)
    {
        if (double.IsNaN(x))
            return double.NaN;
        if (x < 0)
            return 2 - Erfc(-x);
        if (x < 1)
        {
            double term = x, sum = x, x2 = x * x;
            for (int n = 1; n < 200 && term > sum * 1e-17; n++)
            {
                term *= 2 * x2 / (2 * n + 1);
                sum += term;
            }
            return 1 - 2 / Math.Sqrt(Math.PI) * Math.Exp(-x2) * sum;
        }
        if (x > 27) // below the smallest double
            return 0;
        // erfc(x) = e^(-x^2)/sqrt(pi) * 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + 2/(x + ...))))), evaluated bottom-up.
        double fraction = x;
        for (int k = 200; k >= 1; k--)
            fraction = x + k / 2.0 / fraction;
        return Math.Exp(-x * x) / Math.Sqrt(Math.PI) / fraction;
    }
}
