using System.Globalization;
using System.Text;
using MklRnn.CharLm;
using MklRnn.Cli.Verbs;
using MklRnn.IO;

namespace MklRnn.Tests.CharLm;

/// <summary>`eval` against an independent double-precision model, `sample`'s output, and the user errors of the verbs.</summary>
public class CharLmEvalSampleTests
{
    [Theory]
    [InlineData(CellKind.Lstm, 2)]
    [InlineData(CellKind.Gru, 1)]
    [InlineData(CellKind.RnnTanh, 2)]
    public void EvalPerplexityEqualsADoublePrecisionRecomputation(CellKind cell, int layers)
    {
        using var folder = new TempFolder();
        var (text, checkpoint) = CharLmFixtures.TrainTiny(folder, steps: 6, cell, layers);

        // Longer than one eval chunk (256), so the state must carry across chunks.
        string evalText = CharLmFixtures.SmallText[..600];
        string evalPath = CharLmFixtures.WriteText(folder, "eval.txt", evalText);
        double reference = new ReferenceCharLm(checkpoint).Perplexity(evalText);

        Assert.InRange(EvalVerb.Run(checkpoint, evalPath), reference * (1 - 1e-5), reference * (1 + 1e-5));
        var (code, output, error) = CliRunner.Run("eval", "--checkpoint", checkpoint, "--text", evalPath);
        Assert.True(code == 0, error);
        // "perplexity X  bits/char Y", Y = log2 X.
        string[] words = output.Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(["perplexity", "bits/char"], new[] { words[0], words[2] });
        double printed = double.Parse(words[1], CultureInfo.InvariantCulture);
        Assert.Equal(Math.Round(reference, 4), printed, 3);
        Assert.Equal(Math.Round(Math.Log2(reference), 4), double.Parse(words[3], CultureInfo.InvariantCulture), 3);
        Assert.InRange(reference, 1.5, 200); // a real, partly trained model: not 1, not chance only
    }

    [Fact]
    public void APyTorchStyleFileWithOnlyModelTensorsAndExtrasEvaluatesTheSame()
    {
        using var folder = new TempFolder();
        var (text, checkpoint) = CharLmFixtures.TrainTiny(folder, steps: 4);

        // What a PyTorch script would write: the state_dict of embedding/rnn/head, the six metadata keys, plus
        // something the model does not use (a tensor and a metadata key).
        var source = SafeTensorsFile.Read(checkpoint);
        var writer = new SafeTensorsWriter();
        foreach (string key in new[] { "format", "cell", "vocab", "embedding_size", "hidden_size", "num_layers" })
            writer.SetMetadata(key, source.Metadata[key]);
        writer.SetMetadata("torch_version", "2.5.1");
        foreach (SafeTensorInfo t in source.Tensors.Where(t => t.Name.Split('.')[0] is "embedding" or "rnn" or "head"))
            writer.Add(t.Name, t.Shape, source.ReadFloat32(t.Name));
        writer.Add("decoder_extra.weight", [2, 2], [1f, 2f, 3f, 4f]);
        writer.Save(folder["torch.safetensors"]);
        Assert.DoesNotContain(SafeTensorsFile.Read(folder["torch.safetensors"]).Tensors, t => t.Name.StartsWith("optimizer.", StringComparison.Ordinal));

        Assert.Equal(EvalVerb.Run(checkpoint, text), EvalVerb.Run(folder["torch.safetensors"], text));
    }

    [Fact]
    public void SampleHasTheRequestedLengthAndOnlyKnownCharacters()
    {
        using var folder = new TempFolder();
        var (_, checkpoint) = CharLmFixtures.TrainTiny(folder, steps: 6);
        var known = Vocabulary.FromText(CharLmFixtures.SmallText).Symbols.ToHashSet();

        var (code, output, error) = CliRunner.Run("sample", "--checkpoint", checkpoint, "--prompt", "The ", "--length", "120",
            "--temperature", "0.9", "--top-k", "5", "--seed", "3");
        Assert.True(code == 0, error);
        string sample = output.TrimEnd('\n');
        Assert.StartsWith("The ", sample);
        string generated = sample["The ".Length..];
        Assert.Equal(120, generated.EnumerateRunes().Count());
        Assert.All(generated.EnumerateRunes(), r => Assert.Contains(r.ToString(), known));

        // Repeatable with a seed; another seed gives another text; temperature 0 is deterministic whatever the seed.
        Assert.Equal(sample, CliRunner.Run("sample", "--checkpoint", checkpoint, "--prompt", "The ", "--length", "120",
            "--temperature", "0.9", "--top-k", "5", "--seed", "3").Output.TrimEnd('\n'));
        Assert.NotEqual(SampleVerb.Run(checkpoint, "The ", 120, 1f, 0, seed: 1), SampleVerb.Run(checkpoint, "The ", 120, 1f, 0, seed: 2));
        Assert.Equal(SampleVerb.Run(checkpoint, "", 50, 0f, 0, seed: 1), SampleVerb.Run(checkpoint, "", 50, 0f, 0, seed: 9));
    }

    [Fact]
    public void TopOneSamplingIsTheMostLikelyCharacter()
    {
        float[] logits = [0.1f, 2.5f, -1f, 2.4f];
        var random = new Random(1);
        for (int i = 0; i < 20; i++)
            Assert.Equal(1, Sampler.Choose(logits, 1f, topK: 1, topP: 1f, random, new double[4], new int[4]));
        // top-2 never picks the two unlikely characters.
        for (int i = 0; i < 50; i++)
            Assert.Contains(Sampler.Choose(logits, 5f, topK: 2, topP: 1f, random, new double[4], new int[4]), new[] { 1, 3 });
    }

    [Fact]
    public void UserErrorsAreOneLineWithoutAStackTraceAndExit2()
    {
        using var folder = new TempFolder();
        var (text, checkpoint) = CharLmFixtures.TrainTiny(folder, steps: 2);
        File.WriteAllText(folder["empty.txt"], "");
        File.WriteAllText(folder["unknown.txt"], "The fox ☃ jumps", Encoding.UTF8);
        File.WriteAllBytes(folder["corrupt.safetensors"], File.ReadAllBytes(checkpoint)[..200]);
        // Another architecture: the same tensors under metadata that says GRU.
        CharLmFixtures.CopyWithMetadata(checkpoint, folder["gru-label.safetensors"], "cell", "GRU");

        (string[] Args, string Expected)[] cases =
        [
            (["train", "--text", folder["missing.txt"], "--checkpoint", folder["x.safetensors"]], "text file not found"),
            (["train", "--text", folder["empty.txt"], "--checkpoint", folder["x.safetensors"]], "text file is empty"),
            (["train", "--text", text, "--cell", "transformer"], "--cell must be one of"),
            (["eval", "--checkpoint", checkpoint, "--text", folder["unknown.txt"]], "'☃' (U+2603) at position 8 is not in the model's vocabulary"),
            (["sample", "--checkpoint", checkpoint, "--prompt", "ab☃"], "prompt: character '☃' (U+2603) at position 2"),
            (["eval", "--checkpoint", folder["corrupt.safetensors"], "--text", text], "corrupt or not a safetensors file"),
            (["eval", "--checkpoint", folder["nothing.safetensors"], "--text", text], "checkpoint not found"),
            (["sample", "--checkpoint", folder["gru-label.safetensors"]], "do not fit its architecture"),
            (["train", "--checkpoint", folder["nothing.safetensors"], "--resume"], "checkpoint not found"),
        ];
        foreach (var (args, expected) in cases)
        {
            var (code, _, error) = CliRunner.Run(args);
            Assert.True(code == 2, $"{string.Join(' ', args)}: exit {code}, stderr {error}");
            Assert.Contains(expected, error);
            Assert.Single(error.TrimEnd('\n').Split('\n'));
            Assert.DoesNotContain("   at ", error);
        }
    }
}
