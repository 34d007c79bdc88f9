using System.Globalization;

namespace MklRnn.Cli.CharLm;

/// <summary>
/// "Nice" axis ticks (Heckbert, Graphics Gems 1990): a spacing of 1, 2, 2.5 or 5 x 10^k giving about the wanted
/// number of ticks, the axis widened to whole spacings so both ends carry a tick, and labels with just the decimals
/// the spacing needs (0.5, 1.0, 1.5 rather than 0.65, 1.83); very large or small values in E notation.
/// </summary>
internal sealed record AxisTicks(double Min, double Max, double Spacing, IReadOnlyList<double> Values)
{
    private static readonly double[] Mantissas = [1, 2, 2.5, 5, 10];

    /// <summary>Ticks covering [min, max] with about <paramref name="wanted"/> intervals; integerOnly for counts (steps).</summary>
    public static AxisTicks For(double min, double max, int wanted, bool integerOnly = false)
    {
        if (!double.IsFinite(min) || !double.IsFinite(max)) (min, max) = (0, 1);
        if (max < min) (min, max) = (max, min);
        if (max - min < 1e-12 * Math.Max(1, Math.Abs(max))) (min, max) = (min - 0.5, max + 0.5);
        double raw = (max - min) / Math.Max(1, wanted);
        double power = Math.Pow(10, Math.Floor(Math.Log10(raw)));
        double spacing = Mantissas.Select(m => m * power).First(s => s >= raw * (1 - 1e-9));
        if (integerOnly) spacing = Math.Max(1, Math.Round(spacing));
        double first = Math.Floor(min / spacing + 1e-9) * spacing, last = Math.Ceiling(max / spacing - 1e-9) * spacing;
        var values = new List<double>();
        for (long i = 0; first + i * spacing <= last + spacing * 1e-9; i++) values.Add(first + i * spacing);
        return new AxisTicks(first, last, spacing, values);
    }

    /// <summary>A tick's label: the spacing's decimals (2.5 needs one more), E notation past 1e6 or under 1e-3.</summary>
    public string Label(double value)
    {
        if (Math.Abs(value) < Spacing * 1e-9) value = 0; // no "-0.0"
        double magnitude = Math.Max(Math.Abs(Min), Math.Abs(Max));
        if (magnitude >= 1e6 || (magnitude > 0 && magnitude < 1e-3))
            return value == 0 ? "0" : value.ToString("0.##E+0", CultureInfo.InvariantCulture);
        int exponent = (int)Math.Floor(Math.Log10(Spacing) + 1e-9);
        int decimals = Math.Max(0, -exponent);
        if (exponent <= 0 && Math.Abs(Spacing / Math.Pow(10, exponent) - 2.5) < 1e-6) decimals++; // 0.25, 2.5
        return value.ToString("F" + decimals, CultureInfo.InvariantCulture);
    }
}
