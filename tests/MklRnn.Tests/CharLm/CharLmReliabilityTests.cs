using System.Diagnostics;
using System.Text;
using MklRnn.CharLm;
using MklRnn.Cli;
using MklRnn.Cli.CharLm;
using MklRnn.IO;

namespace MklRnn.Tests.CharLm;

/// <summary>
/// Training that cannot lose work: divergence never overwrites a checkpoint, output paths are checked before any
/// work, checkpoint metadata and text paths are bounded, invalid UTF-8 is refused.
/// </summary>
public class CharLmReliabilityTests
{
    [Fact]
    public void ADivergedRunSkipsStepsStopsNonZeroAndKeepsTheCheckpoint()
    {
        using var folder = new TempFolder();
        string text = CharLmFixtures.WriteText(folder);
        string checkpoint = folder["ck.safetensors"];
        string[] relu = CharLmFixtures.TinyTrainArgs(text, checkpoint, "--steps", "4");
        relu[Array.IndexOf(relu, "rnn")] = "rnn-relu";
        Assert.Equal(0, CliRunner.Run(relu).ExitCode);
        byte[] good = File.ReadAllBytes(checkpoint);

        // The case: rate 1e30 without clipping. Step 5 moves every weight by ~1e30; from step 6 on nothing is finite.
        var (code, output, error) = CliRunner.Run("train", "--checkpoint", checkpoint, "--resume", "--lr", "1e30", "--clip", "0",
            "--steps", "60", "--checkpoint-every", "2", "--max-skipped-steps", "3");
        Assert.True(code == 1, $"exit {code}: {error}");
        Assert.Contains("training diverged: 3 steps in a row (to step 8)", error);
        Assert.Contains("keeps its earlier state", error);
        Assert.Single(error.TrimEnd('\n').Split('\n'));
        Assert.Contains("step 6: loss", output);
        Assert.Equal(good, File.ReadAllBytes(checkpoint)); // the save at step 6 waited, the one at 8 never came
        Assert.Equal(0, CliRunner.Run("eval", "--checkpoint", checkpoint, "--text", text).ExitCode);

        // An LSTM at that rate stays finite (saturated gates) but its loss is ~1e31 nats per character: diverged too.
        string[] args = CharLmFixtures.TinyTrainArgs(text, folder["lstm.safetensors"], "--lr", "1e30", "--clip", "0", "--steps", "40", "--max-skipped-steps", "3");
        args[Array.IndexOf(args, "rnn")] = "lstm";
        var lstm = CliRunner.Run(args);
        Assert.True(lstm.ExitCode == 1, lstm.Error);
        Assert.Contains("training diverged: 3 steps in a row (to step 4)", lstm.Error);
        Assert.False(File.Exists(folder["lstm.safetensors"]));
    }

    [Fact]
    public void ACheckpointIsNeverWrittenFromANonFiniteModel()
    {
        using var folder = new TempFolder();
        var (_, checkpoint) = CharLmFixtures.TrainTiny(folder, steps: 2);
        byte[] good = File.ReadAllBytes(checkpoint);
        var (model, vocabulary, settings, progress, every, _) = Checkpoint.Load(checkpoint);
        using (model)
        using (var optimizer = new MklRnn.Training.Adam(model.Parameters, settings.LearningRate))
        {
            model.Head.Parameters[0].Data[3] = float.NegativeInfinity;
            var error = Assert.Throws<TrainingDivergedException>(() => Checkpoint.Save(checkpoint, model, vocabulary, optimizer, settings, progress, every));
            Assert.Contains("tensor 'head.weight' holds -Infinity at element 3", error.Message);
            Assert.Contains("(the file there is kept)", error.Message);
        }
        Assert.Equal(good, File.ReadAllBytes(checkpoint));
    }

    [Fact]
    public void LoadersRefuseAModelWithNonFiniteWeightsNamingTheTensor()
    {
        using var folder = new TempFolder();
        var (text, checkpoint) = CharLmFixtures.TrainTiny(folder, steps: 2);
        CharLmFixtures.CopyWithTensor(checkpoint, folder["nan.safetensors"], "rnn.weight_hh_l1", values => values[5] = float.NaN);
        CharLmFixtures.CopyWithTensor(checkpoint, folder["inf.safetensors"], "head.bias", values => values[0] = float.PositiveInfinity);
        foreach (var (file, expected) in new[] { ("nan.safetensors", "tensor 'rnn.weight_hh_l1' holds NaN at element 5"), ("inf.safetensors", "tensor 'head.bias' holds Infinity at element 0") })
        {
            foreach (string[] args in new[] { new[] { "eval", "--checkpoint", folder[file], "--text", text }, ["sample", "--checkpoint", folder[file]],
                         ["train", "--checkpoint", folder[file], "--resume", "--steps", "3"] })
            {
                var (code, _, error) = CliRunner.Run(args);
                Assert.True(code == 2, $"{string.Join(' ', args)}: exit {code}"); // a bad model file is an input error
                Assert.Contains("the model is not finite", error);
                Assert.Contains(expected, error);
            }
        }
    }

    [Fact]
    public void OutputLocationsAreCheckedBeforeAnyWork()
    {
        using var folder = new TempFolder();
        string text = CharLmFixtures.WriteText(folder);
        File.WriteAllText(folder["plain.txt"], "a regular file");
        (string[] Args, string Expected)[] cases =
        [
            (CharLmFixtures.TinyTrainArgs(text, "", "--time", "8"), "--checkpoint must name a file, got an empty path"),
            (CharLmFixtures.TinyTrainArgs(text, "/proc/x/ck.safetensors", "--time", "8"), "--checkpoint '/proc/x/ck.safetensors': cannot write in folder /proc/x"),
            (CharLmFixtures.TinyTrainArgs(text, folder["plain.txt/ck.safetensors"], "--time", "8"), "cannot write in folder"),
            (CharLmFixtures.TinyTrainArgs(text, folder.Path, "--time", "8"), "is a directory"),
            (["seq2seq", "train", "--checkpoint", "/proc/x/m.safetensors", "--steps", "100000"], "--checkpoint '/proc/x/m.safetensors': cannot write in folder /proc/x"),
            (["demo", "--out", folder["plain.txt/demo"], "--time", "8"], "--out"),
        ];
        foreach (var (args, expected) in cases)
        {
            var (code, output, error) = CliRunner.Run(args);
            Assert.True(code == 2, $"{string.Join(' ', args)}: exit {code}, stderr {error}");
            Assert.Contains(expected, error);
            Assert.Single(error.TrimEnd('\n').Split('\n'));
            Assert.DoesNotContain("model:", output); // nothing was loaded or trained
            Assert.DoesNotContain("reversing", output);
        }
        Assert.False(File.Exists(folder["plain.txt/ck.safetensors"]));
        Assert.Empty(Directory.GetFiles(folder.Path, ".mklrnn-write-probe-*"));
    }

    [Fact]
    public void ResumeBoundsTheCheckpointsNumbersAndRefusesSpecialTextFiles()
    {
        using var folder = new TempFolder();
        var (_, checkpoint) = CharLmFixtures.TrainTiny(folder, steps: 3);
        string fifo = folder["fifo"];
        Process.Start("mkfifo", fifo)!.WaitForExit();
        (string Key, string Value, string Expected)[] cases =
        [
            ("train.text", "/dev/zero", "text file is empty (or not a regular file: a FIFO or device): /dev/zero"),
            ("train.text", fifo, "not a regular file"),
            ("train.text", folder.Path, "is a directory"),
            ("train.chunk", "-1", "metadata 'train.chunk' = '-1' is malformed or out of range"),
            ("train.chunk", "100000", "past the end of an epoch"),
            ("train.epoch", "-5", "metadata 'train.epoch' = '-5' is malformed or out of range"),
            ("train.batch_size", "1000000", "--batch-size must be <= 65536"),
            ("train.seq_length", "70000", "--seq-length must be <= 65536"),
            ("train.val_fraction", "2", "--val-fraction must be in (0, 0.5]"),
            ("train.lr_schedule", "wobbly", "--lr-schedule must be one of"),
        ];
        foreach (var (key, value, expected) in cases)
        {
            string crafted = folder[$"crafted-{key}-{value.GetHashCode():x}.safetensors"];
            CharLmFixtures.CopyWithMetadata(checkpoint, crafted, key, value);
            var (code, _, error) = CliRunner.Run("train", "--checkpoint", crafted, "--resume", "--steps", "5");
            Assert.True(code == 2, $"{key}={value}: exit {code}, stderr {error}");
            Assert.Contains(expected, error);
            Assert.Single(error.TrimEnd('\n').Split('\n'));
        }
    }

    [Fact]
    public void ADivergedSeq2SeqRunStopsWithoutSaving()
    {
        using var folder = new TempFolder();
        var (code, _, error) = CliRunner.Run("seq2seq", "train", "--out", folder["m.safetensors"], "--steps", "20", "--lr", "1e30", "--clip", "0.001",
            "--eval-size", "10", "--eval-every", "0", "--hidden", "8", "--embedding", "4", "--length", "4");
        Assert.True(code == 1, $"exit {code}: {error}");
        Assert.Contains("mklrnn seq2seq train: error: training diverged at step 2", error);
        Assert.False(File.Exists(folder["m.safetensors"]));
    }

    [Theory]
    [InlineData("seq2seq", "exists: --resume continues that run, --force replaces it")]
    [InlineData("classify", "exists: --force replaces it")]
    public void TrainingExamplesKeepAnExistingCheckpointUnlessForced(string verb, string hint)
    {
        using var folder = new TempFolder();
        string model = folder["m.safetensors"];
        string[] train = verb == "seq2seq"
            ? ["seq2seq", "train", "--checkpoint", model, "--steps", "1", "--eval-size", "10", "--eval-every", "0", "--hidden", "8", "--embedding", "4", "--length", "4"]
            : ["classify", "train", "--checkpoint", model, "--steps", "1", "--eval-size", "10", "--eval-every", "0", "--hidden", "8", "--embedding", "4", "--max-length", "8"];
        Assert.Equal(0, CliRunner.Run(train).ExitCode);
        byte[] first = File.ReadAllBytes(model);

        var again = CliRunner.Run([.. train, "--seed", "9"]);
        Assert.True(again.ExitCode == 2, $"exit {again.ExitCode}: {again.Error}");
        Assert.True(again.Error.Contains($"--checkpoint '{model}' {hint}"), again.Error);
        Assert.Equal(first, File.ReadAllBytes(model));

        var forced = CliRunner.Run([.. train, "--seed", "9", "--force"]);
        Assert.True(forced.ExitCode == 0, forced.Error);
        Assert.NotEqual(first, File.ReadAllBytes(model));
        if (verb == "seq2seq")
            Assert.Contains("give one", CliRunner.Run([.. train, "--resume", "--force"]).Error);
    }

    [Fact]
    public void Seq2SeqDecodeBoundsTheTaskSizesOfItsCheckpoint()
    {
        using var folder = new TempFolder();
        string model = folder["m.safetensors"];
        var trained = CliRunner.Run("seq2seq", "train", "--out", model, "--steps", "1", "--eval-size", "10", "--eval-every", "0",
            "--hidden", "8", "--embedding", "4", "--length", "4");
        Assert.True(trained.ExitCode == 0, trained.Error);
        foreach (var (key, value, expected) in new[]
                 {
                     ("reversal.eval_size", "2000000000", "metadata 'reversal.eval_size' = '2000000000' is not an integer in [1, 1000000]"),
                     ("reversal.max_length", "1000000000", "metadata 'reversal.max_length' = '1000000000' is not an integer in [1, 1000]"),
                     ("reversal.min_length", "9", "metadata 'reversal.min_length' = '9' is not an integer in [1, 4]"),
                 })
        {
            CharLmFixtures.CopyWithMetadata(model, folder["crafted.safetensors"], key, value);
            var (code, _, error) = CliRunner.Run("seq2seq", "decode", "--model", folder["crafted.safetensors"], "--eval");
            Assert.True(code == 2, $"{key}={value}: exit {code}, stderr {error}");
            Assert.Contains(expected, error);
        }
    }

    [Fact]
    public void InvalidUtf8IsRefusedWithItsOffsetUnlessAllowed()
    {
        using var folder = new TempFolder();
        byte[] bytes = [.. Encoding.UTF8.GetBytes(CharLmFixtures.SmallText[..300]), 0xC3, 0x28, .. Encoding.UTF8.GetBytes(CharLmFixtures.SmallText[300..])];
        File.WriteAllBytes(folder["latin.txt"], bytes);
        var (code, _, error) = CliRunner.Run(CharLmFixtures.TinyTrainArgs(folder["latin.txt"], folder["ck.safetensors"], "--steps", "2"));
        Assert.Equal(2, code);
        Assert.Contains("is not valid UTF-8: the first bad byte (0xC3) is at byte offset 300", error);
        Assert.False(File.Exists(folder["ck.safetensors"]));

        var allowed = CliRunner.Run(CharLmFixtures.TinyTrainArgs(folder["latin.txt"], folder["ck.safetensors"], "--steps", "2", "--allow-invalid-utf8"));
        Assert.True(allowed.ExitCode == 0, allowed.Error);
        Assert.Contains("\uFFFD", Vocabulary.FromJson(SafeTensorsFile.Read(folder["ck.safetensors"]).Metadata["vocab"], "ck").Symbols);
        // The resumed run reads the text the same way (the permission is part of the run).
        Assert.Equal(0, CliRunner.Run("train", "--checkpoint", folder["ck.safetensors"], "--resume", "--steps", "3").ExitCode);

        Assert.Equal(-1, Corpus.FirstInvalidUtf8(Encoding.UTF8.GetBytes("héllo ☃ 𝄞")));
        Assert.Equal(3, Corpus.FirstInvalidUtf8([0x61, 0x62, 0x63, 0xF0, 0x9D, 0x84])); // a truncated 4-byte sequence
        Assert.Equal(0, Corpus.FirstInvalidUtf8([0xFF]));
    }
}
