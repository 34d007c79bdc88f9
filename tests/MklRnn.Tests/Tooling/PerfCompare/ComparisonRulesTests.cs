using MklRnn.Tooling.PerfCompare;

namespace MklRnn.Tests.Tooling.PerfCompare;

public class ComparisonRulesTests
{
    private static readonly ComparisonOptions Options = ComparisonOptions.Default; // threshold 5 %, alpha 0.05

    [Theory]
    [InlineData(1.20, 0.001, "Slower")]
    [InlineData(1.051, 0.001, "Slower")]
    [InlineData(1.05, 0.001, "Same")] // not beyond the threshold
    [InlineData(1.20, 0.05, "Same")] // not significant: p must be below alpha
    [InlineData(1.20, 0.2, "Same")]
    [InlineData(0.80, 0.001, "Faster")]
    [InlineData(0.952, 0.001, "Faster")] // 1 / 1.05 = 0.95238...
    [InlineData(0.953, 0.001, "Same")]
    [InlineData(0.80, 0.3, "Same")]
    [InlineData(1.20, double.NaN, "Same")]
    public void Classify(double ratio, double p, string expected) =>
        Assert.Equal(Enum.Parse<Verdict>(expected), PerfComparer.Classify(ratio, p, Options));

    [Theory]
    [InlineData("5%", 0.05)]
    [InlineData(" 12.5 % ", 0.125)]
    [InlineData("0.05", 0.05)]
    [InlineData("0", 0)]
    [InlineData("1", 1)]
    public void ParseFraction_Accepts(string text, double expected) =>
        Assert.Equal(expected, ComparisonOptions.ParseFraction(text, "--threshold"), 12);

    [Theory]
    [InlineData("5")] // ambiguous
    [InlineData("-1%")]
    [InlineData("abc")]
    [InlineData("")]
    [InlineData("NaN")]
    public void ParseFraction_Refuses(string text) =>
        Assert.Throws<ArgumentException>(() => ComparisonOptions.ParseFraction(text, "--threshold"));

    [Fact]
    public void Parse_ValidatesAlphaAndNoise()
    {
        Assert.Equal(new ComparisonOptions(0.1, 0.01, 0.2), ComparisonOptions.Parse("10%", "0.01", "20%"));
        Assert.Throws<ArgumentException>(() => ComparisonOptions.Parse("5%", "0", "10%"));
        Assert.Throws<ArgumentException>(() => ComparisonOptions.Parse("5%", "100%", "10%"));
        Assert.Throws<ArgumentException>(() => ComparisonOptions.Parse("5%", "0.05", "0%"));
    }

    [Fact]
    public void ZeroBaseMedian_DoesNotDivideByZero()
    {
        var zero = new BenchmarkResult("A", [0, 0, 0, 0, 0], 0, 0, "f");
        var some = new BenchmarkResult("A", [1, 1, 1, 1, 1], 1, 0, "f");
        Assert.Equal(1, PerfComparer.ComparePair(zero, zero, Options).Ratio);
        Assert.Equal(double.PositiveInfinity, PerfComparer.ComparePair(zero, some, Options).Ratio);
    }
}
