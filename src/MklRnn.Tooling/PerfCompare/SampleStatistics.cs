namespace MklRnn.Tooling.PerfCompare;

/// <summary>Descriptive statistics of a sample of raw measurements.</summary>
public static class SampleStatistics
{
    public static double Median(IReadOnlyList<double> values)
    {
        if (values.Count == 0)
            return double.NaN;
        double[] sorted = [.. values];
        Array.Sort(sorted);
        int mid = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }

    public static double Mean(IReadOnlyList<double> values)
    {
        if (values.Count == 0)
            return double.NaN;
        double sum = 0;
        foreach (double v in values)
            sum += v;
        return sum / values.Count;
    }

    /// <summary>Sample standard deviation (n - 1 in the denominator); NaN below two values.</summary>
    public static double StandardDeviation(IReadOnlyList<double> values)
    {
        if (values.Count < 2)
            return double.NaN;
        double mean = Mean(values), sum = 0;
        foreach (double v in values)
            sum += (v - mean) * (v - mean);
        return Math.Sqrt(sum / (values.Count - 1));
    }

    /// <summary>Coefficient of variation, standard deviation / mean; NaN below two values or for a zero mean.</summary>
    public static double CoefficientOfVariation(IReadOnlyList<double> values)
    {
        double mean = Mean(values);
        return values.Count < 2 || mean == 0 ? double.NaN : StandardDeviation(values) / Math.Abs(mean);
    }
}
