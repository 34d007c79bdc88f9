using System.Globalization;
using System.Net;
using System.Text;
using MklRnn.IO;

namespace MklRnn.Cli.CharLm;

/// <summary>
/// The loss curve as a self-contained SVG: training loss per step (a moving average, as raw per-chunk losses
/// are noisy; skipped non-finite steps left out) and validation loss at each measurement, in nats per character,
/// against steps. Written atomically.
/// <para>
/// Hand-written rather than ScottPlot 5 (which NuGet serves): one line chart in SVG needs ~150 lines here, while
/// ScottPlot renders through SkiaSharp, a native library (~10 MB) plus fontconfig and system fonts that a headless
/// Debian CI machine may lack. Layout: nice tick values (<see cref="AxisTicks"/>), the left margin sized from the
/// longest y label so the rotated title never overlaps it, the legend above the plot, never over the curves.
/// </para>
/// </summary>
internal static class LossCurveSvg
{
    private const int Width = 720, Height = 440, Right = 24, Top = 56, Bottom = 52;
    private const double CharWidth = 7.2; // of a 12 px sans-serif digit, rounded up: for label widths

    public static void Write(string path, TrainingProgress progress, int stepsPerEpoch, string title)
    {
        string svg = Render(progress.TrainLoss, progress.Validation, stepsPerEpoch, title);
        AtomicFile.Write(path, stream => stream.Write(Encoding.UTF8.GetBytes(svg)));
    }

    public static string Render(IReadOnlyList<double> trainLoss, IReadOnlyList<(long Step, double Loss)> validation, int stepsPerEpoch, string title)
    {
        double[] smooth = MovingAverage(trainLoss, Math.Max(1, Math.Min(50, stepsPerEpoch / 4)));
        long maxStep = Math.Max(1, Math.Max(trainLoss.Count, validation.Count > 0 ? validation.Max(v => v.Step) : 0));
        var values = smooth.Concat(validation.Select(v => v.Loss)).Where(double.IsFinite).ToArray();
        double low = values.Length > 0 ? values.Min() : 0, high = values.Length > 0 ? values.Max() : 1;
        AxisTicks y = AxisTicks.For(Math.Max(0, low - (high - low) * 0.05), high + (high - low) * 0.05, wanted: 5);
        int left = 40 + (int)Math.Ceiling(y.Values.Max(v => y.Label(v).Length) * CharWidth);
        // As many x intervals as fit with a label's width of room between labels (at most 8).
        int plotWidth = Width - left - Right;
        int xLabel = maxStep.ToString(CultureInfo.InvariantCulture).Length + 2;
        AxisTicks x = AxisTicks.For(0, maxStep, Math.Clamp((int)(plotWidth / (2 * xLabel * CharWidth)), 2, 8), integerOnly: true);

        double X(double step) => left + (step - x.Min) / (x.Max - x.Min) * plotWidth;
        double Y(double loss) => Top + (y.Max - loss) / (y.Max - y.Min) * (Height - Top - Bottom);
        string F(double v) => v.ToString("0.##", CultureInfo.InvariantCulture);

        var svg = new StringBuilder();
        svg.Append($"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{Width}\" height=\"{Height}\" viewBox=\"0 0 {Width} {Height}\" font-family=\"sans-serif\" font-size=\"12\">\n");
        svg.Append($"<rect width=\"{Width}\" height=\"{Height}\" fill=\"white\"/>\n");
        svg.Append($"<text x=\"{Width / 2}\" y=\"20\" text-anchor=\"middle\" font-size=\"14\">{WebUtility.HtmlEncode(title)}</text>\n");
        // Legend, in the band between the title and the plot.
        svg.Append($"<line x1=\"{left}\" y1=\"38\" x2=\"{left + 24}\" y2=\"38\" stroke=\"#1f77b4\" stroke-width=\"2\"/><text x=\"{left + 30}\" y=\"42\">training (moving average)</text>\n");
        svg.Append($"<circle cx=\"{left + 212}\" cy=\"38\" r=\"3.5\" fill=\"#d62728\"/><text x=\"{left + 222}\" y=\"42\">validation</text>\n");
        svg.Append($"<path d=\"M{left},{Top} V{Height - Bottom} H{Width - Right}\" stroke=\"black\" fill=\"none\"/>\n");
        foreach (double loss in y.Values)
        {
            double py = Y(loss);
            svg.Append($"<line x1=\"{left - 4}\" y1=\"{F(py)}\" x2=\"{Width - Right}\" y2=\"{F(py)}\" stroke=\"#ddd\"/>");
            svg.Append($"<text x=\"{left - 8}\" y=\"{F(py + 4)}\" text-anchor=\"end\">{y.Label(loss)}</text>\n");
        }
        foreach (double step in x.Values)
        {
            double px = X(step);
            svg.Append($"<line x1=\"{F(px)}\" y1=\"{Height - Bottom}\" x2=\"{F(px)}\" y2=\"{Height - Bottom + 4}\" stroke=\"black\"/>");
            svg.Append($"<text x=\"{F(px)}\" y=\"{Height - Bottom + 18}\" text-anchor=\"middle\">{x.Label(step)}</text>\n");
        }
        svg.Append($"<text x=\"{(left + Width - Right) / 2}\" y=\"{Height - 10}\" text-anchor=\"middle\">step</text>\n");
        svg.Append($"<text transform=\"translate(18,{(Top + Height - Bottom) / 2}) rotate(-90)\" text-anchor=\"middle\">loss (nats per character)</text>\n");

        if (smooth.Length > 0)
        {
            svg.Append("<polyline fill=\"none\" stroke=\"#1f77b4\" stroke-width=\"1.5\" points=\"");
            for (int i = 0; i < smooth.Length; i++)
                if (double.IsFinite(smooth[i])) svg.Append($"{F(X(i + 1))},{F(Y(smooth[i]))} ");
            svg.Append("\"/>\n");
        }
        if (validation.Count > 0)
        {
            svg.Append("<polyline fill=\"none\" stroke=\"#d62728\" stroke-width=\"1.5\" points=\"");
            foreach (var (step, loss) in validation) if (double.IsFinite(loss)) svg.Append($"{F(X(step))},{F(Y(loss))} ");
            svg.Append("\"/>\n");
            foreach (var (step, loss) in validation)
                if (double.IsFinite(loss)) svg.Append($"<circle cx=\"{F(X(step))}\" cy=\"{F(Y(loss))}\" r=\"3.5\" fill=\"#d62728\"/>\n");
        }
        svg.Append("</svg>\n");
        return svg.ToString();
    }

    /// <summary>The mean of the finite values among the last <paramref name="window"/> (NaN where there is none).</summary>
    private static double[] MovingAverage(IReadOnlyList<double> values, int window)
    {
        var result = new double[values.Count];
        double sum = 0;
        int count = 0;
        for (int i = 0; i < values.Count; i++)
        {
            if (double.IsFinite(values[i])) { sum += values[i]; count++; }
            if (i >= window && double.IsFinite(values[i - window])) { sum -= values[i - window]; count--; }
            result[i] = count > 0 ? sum / count : double.NaN;
        }
        return result;
    }
}
