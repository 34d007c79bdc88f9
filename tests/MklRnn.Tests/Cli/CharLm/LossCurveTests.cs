using System.Globalization;
using System.Xml.Linq;
using MklRnn.Cli.CharLm;

namespace MklRnn.Tests.Cli.CharLm;

/// <summary>The loss curve's axes: round tick values, labels that do not overlap, non-finite losses left out.</summary>
public class LossCurveTests
{
    [Theory]
    [InlineData(0.65, 1.83, 5, new[] { "0.50", "0.75", "1.00", "1.25", "1.50", "1.75", "2.00" })]
    [InlineData(0, 976, 8, new[] { "0", "200", "400", "600", "800", "1000" })]
    [InlineData(1.21, 1.34, 5, new[] { "1.20", "1.25", "1.30", "1.35" })]
    [InlineData(0, 1.5e32, 5, new[] { "0", "5E+31", "1E+32", "1.5E+32" })]
    [InlineData(2, 2, 5, new[] { "1.4", "1.6", "1.8", "2.0", "2.2", "2.4", "2.6" })]
    public void TicksAreRoundValuesCoveringTheRange(double min, double max, int wanted, string[] labels)
    {
        AxisTicks ticks = AxisTicks.For(min, max, wanted);
        Assert.Equal(labels, ticks.Values.Select(ticks.Label));
        Assert.True(ticks.Min <= min && ticks.Max >= max * (1 - 1e-12), $"[{ticks.Min}, {ticks.Max}]");
    }

    [Fact]
    public void LabelsDoNotOverlapOnADivergedRun()
    {
        // A diverged run: losses up to 1.5e32, a NaN step, long step numbers.
        double[] losses = Enumerable.Range(0, 20000).Select(i => i == 500 ? double.NaN : i < 10000 ? 4.0 - i * 1e-4 : 1.5e28 * (i - 9999)).ToArray();
        string svg = LossCurveSvg.Render(losses, [(10000, 3.0), (20000, double.PositiveInfinity)], 5000, "LSTM 1x16");
        XNamespace ns = "http://www.w3.org/2000/svg";
        var texts = XDocument.Parse(svg).Descendants(ns + "text").ToList();
        // y labels end (text-anchor end) left of the axis; the rotated title's glyphs (12 px tall, centred on x=18) end by x=26.
        var yLabels = texts.Where(t => (string?)t.Attribute("text-anchor") == "end").ToList();
        Assert.NotEmpty(yLabels);
        double axis = yLabels.Select(t => double.Parse((string)t.Attribute("x")!, CultureInfo.InvariantCulture)).Distinct().Single();
        double widest = yLabels.Max(t => t.Value.Length) * 7.2;
        Assert.True(axis - widest > 26, $"labels from x={axis - widest} overlap the title; labels {string.Join(" ", yLabels.Select(t => t.Value))}");
        // x labels: centred, at least a label's width apart.
        var xLabels = texts.Where(t => (string?)t.Attribute("text-anchor") == "middle" && t.Attribute("y")?.Value == "406").ToList();
        double[] xs = xLabels.Select(t => double.Parse((string)t.Attribute("x")!, CultureInfo.InvariantCulture)).ToArray();
        Assert.True(xs.Length >= 3);
        Assert.All(xs.Zip(xs.Skip(1)), p => Assert.True(p.Second - p.First > xLabels.Max(t => t.Value.Length) * 7.2 + 8));
        Assert.All(xLabels, t => Assert.True(int.TryParse(t.Value, out _), t.Value));
        Assert.DoesNotContain("NaN", svg);
        Assert.DoesNotContain("Infinity", svg);
    }
}
