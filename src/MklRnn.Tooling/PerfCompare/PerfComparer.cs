using System.Globalization;

namespace MklRnn.Tooling.PerfCompare;

/// <summary>
/// Compares two result sets benchmark by benchmark. Pure: no I/O, no output.
/// </summary>
/// <remarks>
/// <para>Benchmarks pair by FullName. For each pair, with r = new median / base median, t = threshold and p the
/// two-sided Mann-Whitney p-value of the raw per-iteration measurements:</para>
/// <list type="bullet">
/// <item><c>Slower</c> (a regression) when p &lt; alpha and r &gt; 1 + t;</item>
/// <item><c>Faster</c> (an improvement) when p &lt; alpha and r &lt; 1 / (1 + t), the same distance as Slower on a
/// log scale, so a 5 % threshold means "more than 5 % slower" or "more than 1.05 times faster";</item>
/// <item><c>Same</c> otherwise, including when a side has no measurements (p is NaN).</item>
/// </list>
/// <para>Both conditions are needed: the test alone flags tiny but consistent shifts, the ratio alone flags noise.</para>
/// <para>Noise, as in dotnet/performance's ResultsComparer, is a warning and never changes a verdict: the test
/// already accounts for the spread it sees. A side is noisy when the coefficient of variation of its raw
/// measurements exceeds <see cref="ComparisonOptions.NoiseCv"/> or it has fewer than
/// <see cref="ComparisonOptions.MinMeasurements"/> measurements; a noisy regression still counts (and fails the
/// run), flagged so a reader knows to re-run before believing it.</para>
/// <para>Allocations (BytesAllocatedPerOperation) are reported as changed or same; they do not make a regression.</para>
/// </remarks>
public static class PerfComparer
{
    public static ComparisonReport Compare(ResultSet @base, ResultSet @new, ComparisonOptions options)
    {
        var newByName = @new.Benchmarks.ToDictionary(b => b.FullName, StringComparer.Ordinal);
        var baseNames = @base.Benchmarks.Select(b => b.FullName).ToHashSet(StringComparer.Ordinal);

        var comparisons = new List<BenchmarkComparison>();
        var onlyInBase = new List<string>();
        foreach (BenchmarkResult b in @base.Benchmarks)
        {
            if (newByName.TryGetValue(b.FullName, out BenchmarkResult? n))
                comparisons.Add(ComparePair(b, n, options));
            else
                onlyInBase.Add(b.FullName);
        }
        var onlyInNew = @new.Benchmarks.Select(b => b.FullName).Where(name => !baseNames.Contains(name)).ToList();

        var machine = CompareMachines(@base.Machine, @new.Machine);
        var warnings = new List<string>();
        foreach (MachineFactRow row in machine.Where(r => r.MustMatch && r.Differs))
            warnings.Add($"{row.Key} differs: base '{row.Base ?? "unknown"}', new '{row.New ?? "unknown"}'; "
                + "timings may not be comparable");
        warnings.AddRange(@base.Warnings.Select(w => $"base: {w}"));
        warnings.AddRange(@new.Warnings.Select(w => $"new: {w}"));
        if (comparisons.Count == 0)
            warnings.Add("no benchmark is present in both sets");

        return new ComparisonReport(@base, @new, options, comparisons, onlyInBase, onlyInNew, machine, warnings);
    }

    public static BenchmarkComparison ComparePair(BenchmarkResult @base, BenchmarkResult @new, ComparisonOptions options)
    {
        double ratio = Ratio(@base.Median, @new.Median);
        MannWhitneyResult test = MannWhitney.Test(@base.Measurements, @new.Measurements);
        Verdict verdict = Classify(ratio, test.PValue, options);

        AllocationChange allocation =
            @base.BytesAllocatedPerOperation is not long a || @new.BytesAllocatedPerOperation is not long b
                ? AllocationChange.Unknown
                : a == b ? AllocationChange.Same : AllocationChange.Changed;

        string? noise = Join(NoiseReason("base", @base, options), NoiseReason("new", @new, options));
        return new BenchmarkComparison(@base.FullName, @base, @new, ratio, test, verdict, allocation, noise);
    }

    /// <summary>The verdict rule; see the class remarks.</summary>
    public static Verdict Classify(double ratio, double pValue, ComparisonOptions options)
    {
        if (double.IsNaN(pValue) || double.IsNaN(ratio) || pValue >= options.Alpha)
            return Verdict.Same;
        if (ratio > 1 + options.Threshold)
            return Verdict.Slower;
        if (ratio < 1 / (1 + options.Threshold))
            return Verdict.Faster;
        return Verdict.Same;
    }

    private static double Ratio(double baseMedian, double newMedian) =>
        baseMedian == 0 ? (newMedian == 0 ? 1 : double.PositiveInfinity) : newMedian / baseMedian;

    private static string? NoiseReason(string side, BenchmarkResult result, ComparisonOptions options)
    {
        if (result.Measurements.Count < options.MinMeasurements)
            return $"{side}: {result.Measurements.Count} measurements";
        double cv = result.CoefficientOfVariation;
        return cv > options.NoiseCv
            ? string.Create(CultureInfo.InvariantCulture, $"{side}: CV {cv:P0}")
            : null;
    }

    private static string? Join(string? a, string? b) =>
        a is null ? b : b is null ? a : $"{a}; {b}";

    private static List<MachineFactRow> CompareMachines(MachineFacts @base, MachineFacts @new)
    {
        var keys = MachineFacts.DisplayOrder.Where(k => @base[k] is not null || @new[k] is not null).ToList();
        keys.AddRange(@base.Values.Keys.Union(@new.Values.Keys)
            .Where(k => !MachineFacts.DisplayOrder.Contains(k))
            .Order(StringComparer.Ordinal));
        return keys.Select(k => new MachineFactRow(k, @base[k], @new[k], MachineFacts.MustMatch.Contains(k))).ToList();
    }
}
