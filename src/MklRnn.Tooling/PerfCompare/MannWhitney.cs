namespace MklRnn.Tooling.PerfCompare;

/// <summary>How a Mann-Whitney p-value was computed.</summary>
public enum MannWhitneyMethod
{
    /// <summary>The exact permutation distribution of U (no ties, small samples).</summary>
    Exact,

    /// <summary>The normal approximation with tie and continuity corrections.</summary>
    NormalApproximation,
}

/// <summary>The outcome of a two-sided Mann-Whitney U test of samples x and y.</summary>
/// <param name="U1">U of x: the number of (x, y) pairs with x &gt; y, ties counting one half.</param>
/// <param name="U2">U of y: n1 * n2 - U1.</param>
/// <param name="Z">The standardised U1 (with continuity correction); 0 for the exact method.</param>
/// <param name="PValue">Two-sided p-value; NaN when a sample is empty.</param>
public readonly record struct MannWhitneyResult(double U1, double U2, double Z, double PValue, MannWhitneyMethod Method);

/// <summary>
/// The Mann-Whitney U (Wilcoxon rank-sum) test: do two samples come from distributions of the same location?
/// Used on raw per-iteration timings, which are skewed and outlier-prone, where a t-test would mislead.
/// </summary>
public static class MannWhitney
{
    /// <summary>Largest n1 + n2 for which the exact distribution is used (when there are no ties).</summary>
    public const int ExactLimit = 50;

    public static MannWhitneyResult Test(IReadOnlyList<double> x, IReadOnlyList<double> y)
    {
        int n1 = x.Count, n2 = y.Count;
        if (n1 == 0 || n2 == 0)
            return new MannWhitneyResult(double.NaN, double.NaN, double.NaN, double.NaN,
                MannWhitneyMethod.NormalApproximation);

        (double u1, double tieSum) = RankStatistic(x, y);
        double u2 = (double)n1 * n2 - u1;
        if (tieSum == 0 && n1 + n2 <= ExactLimit)
            return new MannWhitneyResult(u1, u2, 0, ExactPValue(n1, n2, (int)Math.Round(u1)), MannWhitneyMethod.Exact);
        (double z, double p) = NormalApproximation(n1, n2, u1, tieSum);
        return new MannWhitneyResult(u1, u2, z, p, MannWhitneyMethod.NormalApproximation);
    }

    /// <summary>
    /// U1 = R1 - n1 (n1 + 1) / 2 from mid-ranks of the pooled sample, and the tie term sum(t^3 - t) over groups of
    /// t equal values.
    /// </summary>
    internal static (double U1, double TieSum) RankStatistic(IReadOnlyList<double> x, IReadOnlyList<double> y)
    {
        int n1 = x.Count, n = n1 + y.Count;
        var pooled = new (double Value, bool FromX)[n];
        for (int i = 0; i < n1; i++)
            pooled[i] = (x[i], true);
        for (int j = 0; j < y.Count; j++)
            pooled[n1 + j] = (y[j], false);
        Array.Sort(pooled, (a, b) => a.Value.CompareTo(b.Value));

        double rankSumX = 0, tieSum = 0;
        for (int start = 0; start < n;)
        {
            int end = start;
            while (end + 1 < n && pooled[end + 1].Value == pooled[start].Value)
                end++;
            double midRank = (start + end) / 2.0 + 1; // ranks are 1-based
            for (int k = start; k <= end; k++)
                if (pooled[k].FromX)
                    rankSumX += midRank;
            double t = end - start + 1;
            tieSum += t * t * t - t;
            start = end + 1;
        }
        return (rankSumX - n1 * (n1 + 1) / 2.0, tieSum);
    }

    /// <summary>
    /// Normal approximation: mean n1 n2 / 2, variance n1 n2 / 12 * ((n + 1) - sum(t^3 - t) / (n (n - 1))),
    /// continuity correction of one half towards the mean.
    /// </summary>
    internal static (double Z, double P) NormalApproximation(int n1, int n2, double u1, double tieSum)
    {
        int n = n1 + n2;
        double mean = n1 * (double)n2 / 2;
        double variance = n1 * (double)n2 / 12 * (n + 1 - (n > 1 ? tieSum / ((double)n * (n - 1)) : 0));
        if (variance <= 0)
            return (0, 1); // every value equal: no evidence of any difference
        double deviation = Math.Max(Math.Abs(u1 - mean) - 0.5, 0);
        double z = Math.Sign(u1 - mean) * deviation / Math.Sqrt(variance);
        double p = Math.Min(1, NormalDistribution.Erfc(Math.Abs(z) / Math.Sqrt(2)));
        return (z, p);
    }

    /// <summary>Exact two-sided p-value: 2 min(P(U &lt;= u1), P(U &gt;= u1)) under the null, capped at 1.</summary>
    internal static double ExactPValue(int n1, int n2, int u1)
    {
        double[] counts = UDistribution(n1, n2);
        double total = 0, lower = 0, upper = 0;
        for (int u = 0; u < counts.Length; u++)
        {
            total += counts[u];
            if (u <= u1)
                lower += counts[u];
            if (u >= u1)
                upper += counts[u];
        }
        return Math.Min(1, 2 * Math.Min(lower, upper) / total);
    }

    /// <summary>
    /// counts[u] = the number of orderings of n1 x's and n2 y's with U1 = u, by the recursion on the largest
    /// element: f(i, j)[u] = f(i - 1, j)[u - j] (it is an x, above all j y's) + f(i, j - 1)[u] (it is a y).
    /// Doubles: the counts reach C(50, 25) ~ 1.3e14 here, and only their ratios matter.
    /// </summary>
    internal static double[] UDistribution(int n1, int n2)
    {
        // previous[i] holds f(i, j - 1); current[i] holds f(i, j).
        var previous = new double[n1 + 1][];
        for (int i = 0; i <= n1; i++)
            previous[i] = [1]; // f(i, 0): U is 0
        for (int j = 1; j <= n2; j++)
        {
            var current = new double[n1 + 1][];
            current[0] = [1];
            for (int i = 1; i <= n1; i++)
            {
                var f = new double[i * j + 1];
                double[] xLargest = current[i - 1], yLargest = previous[i];
                for (int u = 0; u < xLargest.Length; u++)
                    f[u + j] += xLargest[u];
                for (int u = 0; u < yLargest.Length; u++)
                    f[u] += yLargest[u];
                current[i] = f;
            }
            previous = current;
        }
        return previous[n1];
    }
}
