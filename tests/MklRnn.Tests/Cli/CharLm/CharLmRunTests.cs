using System.Globalization;
using MklRnn.CharLm;
using MklRnn.Cli.CharLm;
using MklRnn.Distributed;
using MklRnn.IO;

namespace MklRnn.Tests.Cli.CharLm;

/// <summary>
/// `train` as char-rnn / PyTorch users expect: no silent overwrite, resume with changed flags, fine-tuning with
/// --init-from, the best model, early stopping, the metrics file.
/// </summary>
public class CharLmRunTests
{
    /// <summary>A tiny one-layer run (no dropout) on the small text written into the folder, with its settings adjusted.</summary>
    private static TrainOptions OneLayer(TempFolder folder, long steps, Func<TrainingSettings, TrainingSettings> settings, int layers = 1, float dropout = 0)
    {
        TrainOptions options = CharLmFixtures.Tiny(CharLmFixtures.WriteText(folder), folder["ck.safetensors"], steps, layers: layers, dropout: dropout);
        return options with { Settings = settings(options.Settings) };
    }

    [Fact]
    public void ANewRunRefusesAnExistingCheckpointUnlessForced()
    {
        using var folder = new TempFolder();
        string text = CharLmFixtures.WriteText(folder);
        string checkpoint = folder["ck.safetensors"];
        Assert.Equal(0, CliRunner.Run(CharLmFixtures.TinyTrainArgs(text, checkpoint, "--steps", "4")).ExitCode);
        byte[] before = File.ReadAllBytes(checkpoint);

        var (code, output, error) = CliRunner.Run(CharLmFixtures.TinyTrainArgs(text, checkpoint, "--steps", "2"));
        Assert.Equal(2, code);
        Assert.Contains("exists: --resume continues that run, --force replaces it", error);
        Assert.Equal("", output); // refused before any work
        Assert.Equal(before, File.ReadAllBytes(checkpoint));

        var forced = CliRunner.Run(CharLmFixtures.TinyTrainArgs(text, checkpoint, "--steps", "2", "--force"));
        Assert.True(forced.ExitCode == 0, forced.Error);
        Assert.Equal("2", SafeTensorsFile.Read(checkpoint).Metadata["train.step"]);
    }

    [Fact]
    public void ResumeRefusesAnArchitectureChangeAndAppliesTrainingFlagsWithANote()
    {
        using var folder = new TempFolder();
        string text = CharLmFixtures.WriteText(folder);
        string checkpoint = folder["ck.safetensors"];
        Assert.Equal(0, CliRunner.Run(CharLmFixtures.TinyTrainArgs(text, checkpoint, "--steps", "3", "--lr", "0.01")).ExitCode);

        foreach (var (flag, value) in new[] { ("--hidden", "32"), ("--cell", "gru"), ("--batch-size", "5"), ("--seed", "9") })
        {
            var (code, _, error) = CliRunner.Run("train", "--checkpoint", checkpoint, "--resume", "--steps", "5", flag, value);
            Assert.True(code == 2, $"{flag} {value}: exit {code}");
            Assert.Contains(flag + " ", error);
            Assert.Contains("differs from the", error);
        }
        // Flags equal to the checkpoint's are fine; training flags that differ are applied, each with a note.
        var resumed = CliRunner.Run("train", "--checkpoint", checkpoint, "--resume", "--steps", "5", "--hidden", "12",
            "--lr", "0.002", "--clip", "0.5", "--checkpoint-every", "7");
        Assert.True(resumed.ExitCode == 0, resumed.Error);
        Assert.Contains("note: --resume applies --lr 0.002 (the checkpoint had 0.01)", resumed.Output);
        Assert.Contains("note: --resume applies --clip 0.5 (the checkpoint had 1)", resumed.Output);
        Assert.Contains("note: --resume applies --checkpoint-every 7 (the checkpoint had 500)", resumed.Output);
        var meta = SafeTensorsFile.Read(checkpoint).Metadata;
        Assert.Equal(("5", "0.002", "0.5", "7"), (meta["train.step"], meta["train.lr"], meta["train.clip_norm"], meta["train.checkpoint_every"]));
        string[][] rows = CharLmFixtures.MetricsRows(folder["ck.metrics.csv"]);
        Assert.Equal(["1", "2", "3", "4", "5"], rows.Select(r => r[0]));
        Assert.Equal(0.01f, float.Parse(rows[2][5], CultureInfo.InvariantCulture));
        Assert.Equal(0.002f, float.Parse(rows[3][5], CultureInfo.InvariantCulture)); // applied from the resumed step on
    }

    [Fact]
    public void InitFromListsTheCharactersTheVocabularyLacksAndFineTunesFromTheWeights()
    {
        using var folder = new TempFolder();
        string text = CharLmFixtures.WriteText(folder);
        Assert.Equal(0, CliRunner.Run(CharLmFixtures.TinyTrainArgs(text, folder["base.safetensors"], "--steps", "30", "--lr", "0.02")).ExitCode);

        string foreign = CharLmFixtures.WriteText(folder, "foreign.txt", "The café serves crème brûlée ☃ daily. " + CharLmFixtures.SmallText);
        var (code, _, error) = CliRunner.Run("train", "--text", foreign, "--checkpoint", folder["tuned.safetensors"], "--init-from", folder["base.safetensors"], "--steps", "2");
        Assert.Equal(2, code);
        Assert.Contains("4 character(s) the model's vocabulary", error);
        foreach (string c in new[] { "'é' (U+00E9)", "'è' (U+00E8)", "'û' (U+00FB)", "'☃' (U+2603)" }) Assert.Contains(c, error);

        // A text within the vocabulary: fine-tuning starts from the trained weights (at a rate of 1e-30 no weight moves).
        string subset = CharLmFixtures.WriteText(folder, "subset.txt", string.Concat(Enumerable.Repeat(CharLmFixtures.SmallText[..400], 3)));
        string[] tune = ["--text", subset, "--steps", "1", "--threads", "1", "--seq-length", "8", "--batch-size", "3", "--lr", "1e-30"];
        var tuned = CliRunner.Run(["train", "--checkpoint", folder["tuned.safetensors"], "--init-from", folder["base.safetensors"], .. tune]);
        Assert.True(tuned.ExitCode == 0, tuned.Error);
        var source = SafeTensorsFile.Read(folder["base.safetensors"]);
        var result = SafeTensorsFile.Read(folder["tuned.safetensors"]);
        Assert.Equal(source.Metadata["vocab"], result.Metadata["vocab"]);
        Assert.Equal("1", result.Metadata["train.step"]);
        Assert.Equal(subset, result.Metadata["train.text"]);
        foreach (SafeTensorInfo t in source.Tensors.Where(t => t.Name.Split('.')[0] is "embedding" or "rnn" or "head"))
        {
            float[] before = source.ReadFloat32(t.Name), after = result.ReadFloat32(t.Name);
            double diff = before.Zip(after, (a, b) => Math.Abs(a - b)).Max();
            Assert.True(diff < 1e-6, $"{t.Name}: max |difference| {diff}");
        }
        // An architecture flag that differs from the model's is refused.
        var hidden = CliRunner.Run(["train", "--checkpoint", folder["x.safetensors"], "--init-from", folder["base.safetensors"], "--hidden", "64", .. tune]);
        Assert.Equal(2, hidden.ExitCode);
        Assert.Contains("--hidden 64 differs from the model's 12", hidden.Error);
    }

    [Fact]
    public void TheBestFileHoldsTheModelOfTheBestValidation()
    {
        using var folder = new TempFolder();
        TrainOptions options = OneLayer(folder, 16, s => s with { LearningRate = 0.05f }) with { EvalEvery = 2 };
        TrainResult result = Trainer.Run(options);

        var checkpoint = SafeTensorsFile.Read(folder["ck.safetensors"]);
        long[] steps = checkpoint.ReadInt64("train.validation_step");
        double[] losses = checkpoint.ReadInt64("train.validation_loss").Select(BitConverter.Int64BitsToDouble).ToArray();
        Assert.True(steps.Length >= 8, $"validations at {string.Join(", ", steps)}");
        int bestIndex = Array.IndexOf(losses, losses.Min());
        var best = SafeTensorsFile.Read(options.BestPath);
        Assert.Equal(steps[bestIndex].ToString(CultureInfo.InvariantCulture), best.Metadata["best.step"]);
        Assert.Equal(losses.Min(), double.Parse(best.Metadata["best.validation_loss"], CultureInfo.InvariantCulture));
        Assert.Equal(losses.Min(), result.BestValidationLoss);

        // The file's weights give that loss again on the validation split.
        var (model, vocabulary) = CharLmFile.Load(options.BestPath);
        using (model)
        {
            int[] validation = DataSplit.Of(vocabulary.Encode(CharLmFixtures.SmallText, "text")).Validation;
            var batcher = new StreamBatcher(validation, Math.Min(options.Settings.BatchSize, validation.Length - 1), options.Settings.SeqLength);
            var inputs = new int[batcher.BatchSize * batcher.SeqLength];
            double again = Trainer.Validate(model, batcher, StreamShard.Of(ProcessGroup.Single, batcher.BatchSize), inputs, new int[inputs.Length]);
            Assert.Equal(losses.Min(), again, 6);
        }
    }

    [Fact]
    public void EarlyStopEndsTheRunAfterPatienceValidationsWithoutImprovement()
    {
        using var folder = new TempFolder();
        // At a learning rate of 1e-30 no float weight moves: every validation equals the first, none improves on it.
        TrainOptions options = OneLayer(folder, 40, s => s with { LearningRate = 1e-30f }) with { EvalEvery = 1, EarlyStopPatience = 2 };
        TrainResult result = Trainer.Run(options);
        Assert.Equal(3, result.Steps); // best at step 1, no improvement at 2 and 3
        Assert.StartsWith("early stop: 2 validations without improvement", result.StopReason);
        Assert.Equal("1", SafeTensorsFile.Read(options.BestPath).Metadata["best.step"]);

        TrainResult noStop = Trainer.Run(options with { EarlyStopPatience = 0, Force = true, Budget = new TrainBudget(Steps: 6) });
        Assert.Equal(6, noStop.Steps);
        Assert.Null(noStop.StopReason);
    }

    [Fact]
    public void MetricsHaveOneRowPerStepWithValidationWhereItRan()
    {
        using var folder = new TempFolder();
        TrainOptions options = OneLayer(folder, 7, s => s with { Schedule = new LearningRatePlan { Name = "step", StepSize = 2, Gamma = 0.5f } },
            dropout: 0.2f) with { EvalEvery = 3 };
        Trainer.Run(options);

        string[] lines = File.ReadAllLines(options.MetricsPath);
        Assert.Equal("step,epoch,train_loss,val_perplexity,val_bits_per_char,lr,grad_norm,chars_per_s", lines[0]);
        string[][] rows = CharLmFixtures.MetricsRows(options.MetricsPath);
        Assert.Equal(7, rows.Length);
        Assert.All(rows, r => Assert.Equal(8, r.Length));
        Assert.Equal(["1", "2", "3", "4", "5", "6", "7"], rows.Select(r => r[0]));
        Assert.Equal([3, 6, 7], rows.Where(r => r[3] != "").Select(r => int.Parse(r[0])));
        foreach (string[] r in rows.Where(r => r[3] != ""))
            Assert.Equal(Math.Log2(double.Parse(r[3], CultureInfo.InvariantCulture)), double.Parse(r[4], CultureInfo.InvariantCulture), 9);
        // The step schedule: 0.01 x 0.5^floor(step index / 2), the index 0-based.
        float[] rates = rows.Select(r => float.Parse(r[5], CultureInfo.InvariantCulture)).ToArray();
        Assert.Equal([0.01f, 0.01f, 0.005f, 0.005f, 0.0025f, 0.0025f, 0.00125f], rates);
        Assert.All(rows, r => Assert.True(double.Parse(r[6], CultureInfo.InvariantCulture) > 0));
        int chunks = new StreamBatcher(DataSplit.Of(Vocabulary.FromText(CharLmFixtures.SmallText).Encode(CharLmFixtures.SmallText, "text")).Train, 4, 16).ChunkCount;
        Assert.All(rows, r => Assert.Equal(double.Parse(r[0], CultureInfo.InvariantCulture) / chunks, double.Parse(r[1], CultureInfo.InvariantCulture), 4));

        // A resume drops rows written after the checkpoint, so steps never repeat.
        File.AppendAllText(options.MetricsPath, "8,0.9,1,,,0.01,1,1\n");
        Trainer.Run(options with { Resume = true, Budget = new TrainBudget(Steps: 9) });
        Assert.Equal(Enumerable.Range(1, 9).Select(i => i.ToString(CultureInfo.InvariantCulture)), CharLmFixtures.MetricsRows(options.MetricsPath).Select(r => r[0]));
    }

    [Fact]
    public void LearningRatePlansHaveTheirShapes()
    {
        float[] Rates(LearningRatePlan plan, long total = 10) =>
            Enumerable.Range(0, (int)total + 2).Select(step => plan.Create(0.1f, total, []).Schedule.LearningRateAt(step)).ToArray();

        Assert.Equal([0.025f, 0.05f, 0.075f, 0.1f, 0.1f, 0.1f], Rates(new LearningRatePlan { WarmupSteps = 4 })[..6]);
        Assert.Equal([0.1f, 0.1f, 0.05f, 0.05f, 0.025f], Rates(new LearningRatePlan { Name = "step", StepSize = 2, Gamma = 0.5f })[..5]);
        float[] cosine = Rates(new LearningRatePlan { Name = "cosine", WarmupSteps = 2 });
        Assert.Equal(0.05, cosine[0], 6); // warm-up 1/2 of the cosine's first rate
        Assert.Equal(0.1 * (1 + Math.Cos(Math.PI / 10)) / 2, cosine[1], 6);
        Assert.True(cosine.Skip(1).Zip(cosine.Skip(2)).All(p => p.Second <= p.First), string.Join(", ", cosine));
        Assert.Equal(0, cosine[10], 6);
        Assert.Equal(0.05, Rates(new LearningRatePlan { Name = "cosine" })[5], 6); // half-way: half the rate
        var (_, plateau) = new LearningRatePlan { Name = "plateau", Patience = 0, Gamma = 0.5f }.Create(0.1f, null, [2.0, 2.5, 1.0, 3.0]);
        Assert.Equal(0.025f, plateau!.CurrentLearningRate); // the history replays: two reports without improvement
        var error = Assert.Throws<CharLmException>(() => new LearningRatePlan { Name = "cosine" }.Create(0.1f, null, []));
        Assert.Contains("give --steps or --epochs", error.Message);
    }

    [Fact]
    public void PlateauLowersTheRateAfterValidationsWithoutImprovement()
    {
        using var folder = new TempFolder();
        // At a rate of 1e-30 no weight moves, so every validation ties the first: each one after it is "no improvement".
        TrainOptions options = OneLayer(folder, 5, s => s with { LearningRate = 1e-30f, Schedule = new LearningRatePlan { Name = "plateau", Patience = 1, Gamma = 0.5f } })
            with { EvalEvery = 1 };
        Trainer.Run(options);
        float[] rates = CharLmFixtures.MetricsRows(options.MetricsPath).Select(r => float.Parse(r[5], CultureInfo.InvariantCulture)).ToArray();
        // Validations after steps 1 (best), 2 (1 bad), 3 (2 bad > patience: x0.5), 4 (1 bad), 5 (2 bad: x0.5).
        Assert.Equal([1e-30f, 1e-30f, 1e-30f, 5e-31f, 5e-31f], rates);
        // A resume replays the validation history into the schedule: the rate goes on from 2.5e-31.
        Trainer.Run(options with { Resume = true, Budget = new TrainBudget(Steps: 6) });
        Assert.Equal(2.5e-31f, float.Parse(CharLmFixtures.MetricsRows(options.MetricsPath)[5][5], CultureInfo.InvariantCulture));
    }

    [Fact]
    public void AValidationTextReplacesTheHeldOutShareAndMustLieInTheVocabulary()
    {
        using var folder = new TempFolder();
        string text = CharLmFixtures.WriteText(folder);
        string validation = CharLmFixtures.WriteText(folder, "val.txt", CharLmFixtures.SmallText[..200]);
        var (code, output, error) = CliRunner.Run(CharLmFixtures.TinyTrainArgs(text, folder["ck.safetensors"], "--steps", "2", "--val-text", validation));
        Assert.True(code == 0, error);
        Assert.Contains($"{CharLmFixtures.SmallText.Length:N0} training + 200 validation characters (from {validation})", output);

        string foreign = CharLmFixtures.WriteText(folder, "foreign.txt", "Zebras ☃ éat");
        var refused = CliRunner.Run(CharLmFixtures.TinyTrainArgs(text, folder["x.safetensors"], "--steps", "2", "--val-text", foreign));
        Assert.Equal(2, refused.ExitCode);
        Assert.Contains($"--val-text {foreign} has 3 character(s) the model's vocabulary", refused.Error);

        // The resumed run checks the validation text too.
        File.AppendAllText(validation, "more");
        var resumed = CliRunner.Run("train", "--checkpoint", folder["ck.safetensors"], "--resume", "--steps", "3");
        Assert.Equal(2, resumed.ExitCode);
        Assert.Contains("is not the one this checkpoint was validated on", resumed.Error);
    }

    [Theory]
    [InlineData(0.05, 500)]
    [InlineData(0.1, 1000)]
    [InlineData(0.25, 2500)]
    [InlineData(0.5, 5000)]
    public void ValidationFractionHoldsOutThatShareInEvenlySpreadBlocks(double fraction, int expected)
    {
        int[] ids = Enumerable.Range(0, 10000).ToArray();
        DataSplit split = DataSplit.Of(ids, fraction);
        Assert.Equal(expected, split.Validation.Length);
        Assert.Equal(ids, split.Train.Concat(split.Validation).Order());
        Assert.True(split.Validation[^1] == 9999, "the last block is held out: the held-out blocks end the pattern");
    }
}
