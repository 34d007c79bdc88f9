using System.Globalization;
using System.Net;
using System.Text;
using MklRnn.IO;

namespace MklRnn.Cli.CharLm;

/// <summary>
/// The loss curve as a self-contained SVG: training loss per step (a moving average, as raw per-chunk losses
/// are noisy) and validation loss at each measurement, in nats per character, against steps. Written atomically.
/// </summary>
internal static class LossCurveSvg
{
    private const int Width = 720, Height = 420, Left = 64, Right = 20, Top = 36, Bottom = 48;

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
        double yMax = values.Length > 0 ? values.Max() : 1, yMin = values.Length > 0 ? values.Min() : 0;
        if (yMax - yMin < 1e-9) { yMax += 0.5; yMin -= 0.5; }
        double pad = (yMax - yMin) * 0.05;
        yMax += pad;
        yMin = Math.Max(0, yMin - pad);

        double X(double step) => Left + step / maxStep * (Width - Left - Right);
        double Y(double loss) => Top + (yMax - loss) / (yMax - yMin) * (Height - Top - Bottom);
        string F(double v) => v.ToString("0.##", CultureInfo.InvariantCulture);

        var svg = new StringBuilder();
        svg.Append($"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{Width}\" height=\"{Height}\" viewBox=\"0 0 {Width} {Height}\" font-family=\"sans-serif\" font-size=\"12\">\n");
        svg.Append($"<rect width=\"{Width}\" height=\"{Height}\" fill=\"white\"/>\n");
        svg.Append($"<text x=\"{Width / 2}\" y=\"20\" text-anchor=\"middle\" font-size=\"14\">{WebUtility.HtmlEncode(title)}</text>\n");
        // Axes, with five ticks each.
        svg.Append($"<path d=\"M{Left},{Top} V{Height - Bottom} H{Width - Right}\" stroke=\"black\" fill=\"none\"/>\n");
        for (int i = 0; i <= 4; i++)
        {
            double loss = yMin + (yMax - yMin) * i / 4, y = Y(loss);
            svg.Append($"<line x1=\"{Left - 4}\" y1=\"{F(y)}\" x2=\"{Width - Right}\" y2=\"{F(y)}\" stroke=\"#ddd\"/>");
            svg.Append($"<text x=\"{Left - 8}\" y=\"{F(y + 4)}\" text-anchor=\"end\">{loss.ToString("0.00", CultureInfo.InvariantCulture)}</text>\n");
            double step = maxStep * i / 4.0, x = X(step);
            svg.Append($"<text x=\"{F(x)}\" y=\"{Height - Bottom + 18}\" text-anchor=\"middle\">{Math.Round(step).ToString(CultureInfo.InvariantCulture)}</text>\n");
        }
        svg.Append($"<text x=\"{(Left + Width - Right) / 2}\" y=\"{Height - 10}\" text-anchor=\"middle\">step</text>\n");
        svg.Append($"<text transform=\"translate(16,{(Top + Height - Bottom) / 2}) rotate(-90)\" text-anchor=\"middle\">loss (nats per character)</text>\n");

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
        // Legend.
        int lx = Width - Right - 200;
        svg.Append($"<line x1=\"{lx}\" y1=\"{Top + 10}\" x2=\"{lx + 24}\" y2=\"{Top + 10}\" stroke=\"#1f77b4\" stroke-width=\"2\"/><text x=\"{lx + 30}\" y=\"{Top + 14}\">training (moving average)</text>\n");
        svg.Append($"<circle cx=\"{lx + 12}\" cy=\"{Top + 28}\" r=\"3.5\" fill=\"#d62728\"/><text x=\"{lx + 30}\" y=\"{Top + 32}\">validation</text>\n");
        svg.Append("</svg>\n");
        return svg.ToString();
    }

    private static double[] MovingAverage(IReadOnlyList<double> values, int window)
    {
        var result = new double[values.Count];
        double sum = 0;
        for (int i = 0; i < values.Count; i++)
        {
            sum += values[i];
            if (i >= window) sum -= values[i - window];
            result[i] = sum / Math.Min(i + 1, window);
        }
        return result;
    }
}
