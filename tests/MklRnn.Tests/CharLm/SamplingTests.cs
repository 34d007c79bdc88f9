using System.Globalization;
using System.Text.Json;
using MklRnn.CharLm;
using MklRnn.Cli.Verbs;

namespace MklRnn.Tests.CharLm;

/// <summary>Top-p, greedy, stop strings and several samples; eval's bits per character and JSON.</summary>
public class SamplingTests
{
    // Probabilities 0.5, 0.3, 0.15, 0.05 as logits (the softmax of log p is p).
    private static readonly float[] Logits = [MathF.Log(0.5f), MathF.Log(0.3f), MathF.Log(0.15f), MathF.Log(0.05f)];

    private static double[] Frequencies(int topK, float topP, int draws = 20000)
    {
        var random = new Random(5);
        var counts = new double[Logits.Length];
        double[] probabilities = new double[Logits.Length];
        int[] order = new int[Logits.Length];
        for (int i = 0; i < draws; i++) counts[Sampler.Choose(Logits, 1f, topK, topP, random, probabilities, order)]++;
        return counts.Select(c => c / draws).ToArray();
    }

    [Theory]
    // The nucleus is the smallest most-likely prefix reaching topP of the (top-k) mass; draws keep its relative odds.
    [InlineData(0, 1f, new[] { 0.5, 0.3, 0.15, 0.05 })]
    [InlineData(0, 0.7f, new[] { 0.625, 0.375, 0, 0 })]        // 0.5 < 0.7 <= 0.8
    [InlineData(0, 0.45f, new[] { 1.0, 0, 0, 0 })]
    [InlineData(0, 0.9f, new[] { 0.5 / 0.95, 0.3 / 0.95, 0.15 / 0.95, 0 })]
    [InlineData(3, 0.8f, new[] { 0.625, 0.375, 0, 0 })]         // top-3 mass 0.95, 0.8 x 0.95 = 0.76 <= 0.8
    [InlineData(3, 0.9f, new[] { 0.5 / 0.95, 0.3 / 0.95, 0.15 / 0.95, 0 })] // 0.855 > 0.8: the third is in
    [InlineData(2, 1f, new[] { 0.625, 0.375, 0, 0 })]
    public void TopKThenTopPSamplesTheRenormalisedNucleus(int topK, float topP, double[] expected)
    {
        double[] observed = Frequencies(topK, topP);
        for (int j = 0; j < expected.Length; j++)
        {
            if (expected[j] == 0) Assert.True(observed[j] == 0, $"id {j} is outside the nucleus but was drawn ({observed[j]})");
            else Assert.True(Math.Abs(observed[j] - expected[j]) < 0.015, $"id {j}: {observed[j]:F4}, expected {expected[j]:F4}");
        }
    }

    [Fact]
    public void ChooseAllocatesNothingAndRefusesShortScratch()
    {
        var random = new Random(1);
        double[] probabilities = new double[4];
        int[] order = new int[4];
        Sampler.Choose(Logits, 0.9f, 3, 0.8f, random, probabilities, order);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++) Sampler.Choose(Logits, 0.9f, 3, 0.8f, random, probabilities, order);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Throws<ArgumentException>(() => Sampler.Choose(Logits, 1f, 0, 1f, random, new double[3], order));
        Assert.Throws<ArgumentOutOfRangeException>(() => Sampler.Choose(Logits, 1f, 0, 0f, random, probabilities, order));
    }

    [Fact]
    public void TemperatureZeroIsTheArgmaxPathOfAnIndependentModel()
    {
        using var folder = new TempFolder();
        var (_, checkpoint) = CharLmFixtures.TrainTiny(folder, steps: 12, layers: 2);
        string expected = new ReferenceCharLm(checkpoint).Greedy("The ", 80);
        // Any seed, any top-k/top-p: temperature 0 draws nothing.
        Assert.Equal(expected, SampleVerb.Run(checkpoint, "The ", 80, new SamplingOptions(0f, TopK: 3, TopP: 0.5f, Seed: 11))[0]);
        var (code, output, error) = CliRunner.Run("sample", "--checkpoint", checkpoint, "--prompt", "The ", "--length", "80", "--temperature", "0");
        Assert.True(code == 0, error);
        Assert.Equal(expected, output.TrimEnd('\n'));
        // A nucleus of a millionth of the mass holds only the most likely character: greedy again, at any temperature.
        var nucleus = CliRunner.Run("sample", "--checkpoint", checkpoint, "--prompt", "The ", "--length", "80", "--temperature", "1.5", "--top-p", "0.000001");
        Assert.True(nucleus.ExitCode == 0, nucleus.Error);
        Assert.Equal(expected, nucleus.Output.TrimEnd('\n'));
        // --stop through the CLI: the text before the first occurrence in the continuation.
        string stop = expected.Substring(20, 2);
        var stopped = CliRunner.Run("sample", "--checkpoint", checkpoint, "--prompt", "The ", "--length", "80", "--temperature", "0", "--stop", stop);
        Assert.Equal(expected[..(4 + expected[4..].IndexOf(stop, StringComparison.Ordinal))], stopped.Output.TrimEnd('\n'));
    }

    [Fact]
    public void StopStringEndsASampleBeforeItAndSamplesFollowOneSeed()
    {
        using var folder = new TempFolder();
        var (_, checkpoint) = CharLmFixtures.TrainTiny(folder, steps: 8);
        var options = new SamplingOptions(1f, Seed: 4);
        string full = SampleVerb.Run(checkpoint, "A", 200, options)[0];
        string continuation = full[1..];
        string stop = continuation.Substring(40, 2);
        int cut = continuation.IndexOf(stop, StringComparison.Ordinal);
        Assert.Equal("A" + continuation[..cut], SampleVerb.Run(checkpoint, "A", 200, options with { Stop = stop })[0]);

        var (code, output, error) = CliRunner.Run("sample", "--checkpoint", checkpoint, "--prompt", "A", "--length", "60",
            "--temperature", "1", "--seed", "4", "--num-samples", "3");
        Assert.True(code == 0, error);
        string[] samples = output.TrimEnd('\n').Split("\n" + SampleVerb.Separator + "\n");
        Assert.Equal(3, samples.Length);
        Assert.Equal(full[..61], samples[0]); // the first sample is the single sample of that seed
        Assert.Equal(3, samples.Distinct().Count());
        Assert.All(samples, s => Assert.StartsWith("A", s));
    }

    [Fact]
    public void EvalPrintsBitsPerCharacterAndJson()
    {
        using var folder = new TempFolder();
        var (text, checkpoint) = CharLmFixtures.TrainTiny(folder, steps: 4);
        var (code, output, error) = CliRunner.Run("eval", "--checkpoint", checkpoint, "--text", text, "--json");
        Assert.True(code == 0, error);
        using JsonDocument json = JsonDocument.Parse(output);
        double perplexity = json.RootElement.GetProperty("perplexity").GetDouble();
        Assert.Equal(new ReferenceCharLm(checkpoint).Perplexity(CharLmFixtures.SmallText), perplexity, 4);
        Assert.Equal(Math.Log2(perplexity), json.RootElement.GetProperty("bits_per_char").GetDouble(), 12);
        Assert.Equal(CharLmFixtures.SmallText.Length, json.RootElement.GetProperty("characters").GetInt32());
        Assert.Contains($"bits/char {Math.Log2(perplexity).ToString("F4", CultureInfo.InvariantCulture)}", CliRunner.Run("eval", "--checkpoint", checkpoint, "--text", text).Output);
    }
}
