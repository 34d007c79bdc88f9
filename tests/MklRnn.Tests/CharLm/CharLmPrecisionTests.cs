using System.Globalization;
using MklRnn.CharLm;
using MklRnn.Cli.Verbs;

namespace MklRnn.Tests.CharLm;

using Precision = global::MklRnn.Precision; // not the MklRnn.Tests.Precision namespace

/// <summary>
/// `--precision` on the char-LM verbs: the float32 checkpoint quantized at load, the perplexity of a small
/// trained model close to its float32 value, and the CLI's eval (int8) and sample (bf16).
/// </summary>
public class CharLmPrecisionTests
{
    /// <summary>
    /// The accuracy targets (held-out perplexity within 0.5 % at bf16 and 2 % at int8) on the tiny model.
    /// A relative perplexity change is the mean change of the per-character log-likelihood; bf16 rounds weights
    /// and GEMM inputs to 8 mantissa bits (relative 2^-9 each) and int8 to 1/254 of a row's range, errors that
    /// average out over the 600 characters rather than add up, so both targets hold with a wide margin when the
    /// logits are a few units apart. The tiny model (H = 16) is, if anything, more sensitive than a large one: a
    /// GEMM over 16 + 8 inputs averages fewer rounding errors. The assertion also requires a nonzero change
    /// (the reduced precision really ran) that is smaller than the target.
    /// </summary>
    [Theory]
    [InlineData(Precision.BFloat16, 0.005)]
    [InlineData(Precision.Int8, 0.02)]
    public void PerplexityOfASmallTrainedModelStaysWithinTheTarget(Precision precision, double target)
    {
        using var folder = new TempFolder();
        var (_, checkpoint) = CharLmFixtures.TrainTiny(folder, steps: 40, layers: 1);
        string evalPath = CharLmFixtures.WriteText(folder, "eval.txt", CharLmFixtures.SmallText[..600]);

        double fp32 = EvalVerb.Evaluate(checkpoint, evalPath).Perplexity;
        double reduced = EvalVerb.Evaluate(checkpoint, evalPath, precision: precision).Perplexity;
        double relative = Math.Abs(reduced - fp32) / fp32;
        Assert.InRange(fp32, 1.5, 20); // trained: well below the vocabulary size
        Assert.True(relative > 0 && relative < target, $"{precision}: perplexity {reduced:F5} vs fp32 {fp32:F5}, relative {relative:E2} (target {target:P1})");
        Assert.Equal(fp32, EvalVerb.Evaluate(checkpoint, evalPath).Perplexity); // the file stays fp32: loading again gives fp32
    }

    [Fact]
    public void EvalAtInt8AndSampleAtBf16WorkFromTheCli()
    {
        using var folder = new TempFolder();
        var (text, checkpoint) = CharLmFixtures.TrainTiny(folder, steps: 6);

        var (code, output, error) = CliRunner.Run("eval", "--checkpoint", checkpoint, "--text", text, "--precision", "int8");
        Assert.True(code == 0, error);
        double printed = double.Parse(output.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
        Assert.Equal(EvalVerb.Evaluate(checkpoint, text, precision: Precision.Int8).Perplexity, printed, 3);

        (code, output, error) = CliRunner.Run("sample", "--checkpoint", checkpoint, "--prompt", "The ", "--length", "80",
            "--temperature", "0", "--precision", "bf16");
        Assert.True(code == 0, error);
        string sample = output.TrimEnd('\n');
        Assert.Equal(SampleVerb.Run(checkpoint, "The ", 80, new SamplingOptions(Temperature: 0), precision: Precision.BFloat16)[0], sample);
        Assert.StartsWith("The ", sample);
        Assert.Equal(84, sample.EnumerateRunes().Count());
    }

    [Theory]
    [InlineData("eval", "fp16")]
    [InlineData("sample", "INT8")]
    public void AnUnknownPrecisionIsRefusedByName(string verb, string value)
    {
        using var folder = new TempFolder();
        var (text, checkpoint) = CharLmFixtures.TrainTiny(folder, steps: 2);
        string[] args = verb == "eval" ? ["eval", "--checkpoint", checkpoint, "--text", text, "--precision", value]
            : ["sample", "--checkpoint", checkpoint, "--precision", value];
        var (code, _, error) = CliRunner.Run(args);
        Assert.Equal(2, code); // a usage error, at parse time (docs/cli.md)
        Assert.Contains($"--precision must be one of f32, bf16, int8, got '{value}'", error);
    }

    [Theory]
    [InlineData("train", "--steps", "1")]
    [InlineData("seq2seq", "train", "--out", "unused.safetensors")]
    [InlineData("classify", "train", "--out", "unused.safetensors")]
    public void TrainingVerbsRefusePrecisionSayingWhy(params string[] verb)
    {
        using var folder = new TempFolder();
        var (code, _, error) = CliRunner.Run([.. verb.Select(a => a.EndsWith(".safetensors") ? folder[a] : a), "--precision", "int8"]);
        Assert.NotEqual(0, code);
        Assert.Contains("--precision: training runs in f32 only", error);
        Assert.Empty(Directory.GetFiles(folder.Path)); // refused at parse time: nothing trained or written
    }
}
