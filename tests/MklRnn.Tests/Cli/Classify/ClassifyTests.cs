using MklRnn.Cli.Classify;

namespace MklRnn.Tests.Cli.Classify;

/// <summary>
/// The many-to-one worked example: the bracket task's labels are right and not given away by length or counts;
/// a small LSTM (and a bidirectional GRU) learn it from variable-length batches on a small budget; the verb
/// trains, saves, classifies and reports user errors.
/// </summary>
public sealed class ClassifyTests : IDisposable
{
    private readonly TempFolder _folder = new();

    [Fact]
    public void LabelsAreTheStackCheckAndTheClassesShareLengths()
    {
        var task = new BracketTask(maxLength: 12, evalSize: 200, seed: 4);
        var sequences = new int[500][];
        var labels = new int[500];
        task.Batch(0, sequences, labels);
        for (int i = 0; i < sequences.Length; i++)
        {
            Assert.Equal(BracketTask.IsBalanced(sequences[i]) ? BracketTask.Balanced : BracketTask.Unbalanced, labels[i]);
            Assert.True(sequences[i].Length % 2 == 0 && sequences[i].Length is >= 2 and <= 12);
        }
        int balanced = labels.Count(l => l == BracketTask.Balanced);
        Assert.InRange(balanced, 200, 300);
        // Both classes at every length from 4 (length 2 has only a few strings of each).
        for (int length = 4; length <= 12; length += 2)
        {
            int len = length;
            Assert.Contains(Enumerable.Range(0, 500), i => sequences[i].Length == len && labels[i] == BracketTask.Balanced);
            Assert.Contains(Enumerable.Range(0, 500), i => sequences[i].Length == len && labels[i] == BracketTask.Unbalanced);
        }
        Assert.True(BracketTask.IsBalanced(BracketTask.Parse("([])[]")));
        Assert.False(BracketTask.IsBalanced(BracketTask.Parse("([)]")));
        Assert.DoesNotContain(sequences, s => task.HeldOut.Any(h => h.Tokens.AsSpan().SequenceEqual(s)));
    }

    /// <summary>Budget: 250 steps of 32 strings of length 2-12, hidden 32 (a few seconds).</summary>
    [Theory]
    [InlineData(CellKind.Lstm, false)]
    [InlineData(CellKind.Gru, true)]
    public void LearnsBalancedBracketsOnASmallBudget(CellKind cell, bool bidirectional)
    {
        var options = new ClassifierOptions
        {
            Steps = 250, BatchSize = 32, MaxLength = 12, EvalSize = 200, EvalEvery = 0, LearningRate = 0.01f, Seed = 2,
            Model = new ClassifierConfig { Cell = cell, HiddenSize = 32, EmbeddingSize = 8, Bidirectional = bidirectional },
        };
        using var trainer = new ClassifierTrainer(options);
        double untrained = trainer.HeldOutAccuracy();
        double accuracy = trainer.Train(log: null);
        Assert.True(untrained < 0.7, $"untrained accuracy {untrained:P1}: the task is too easy to show learning");
        Assert.True(accuracy >= 0.9, $"held-out accuracy {accuracy:P1} < 90% after {options.Steps} steps");
    }

    [Fact]
    public void VerbTrainsSavesAndClassifies()
    {
        string model = _folder["brackets.safetensors"];
        var train = CliRunner.Run("classify", "train", "--checkpoint", model, "--steps", "150", "--batch-size", "32", "--max-length", "8",
            "--hidden", "16", "--eval-size", "100", "--eval-every", "50");
        Assert.True(train.ExitCode == 0, train.Output + train.Error);
        Assert.Contains("step    150", train.Output);
        var eval = CliRunner.Run("classify", "eval", "--checkpoint", model, "--held-out", "(())", "([)]");
        Assert.True(eval.ExitCode == 0, eval.Output + eval.Error);
        Assert.Contains("held-out accuracy", eval.Output);
        Assert.Contains("(())\t", eval.Output);

        var bad = CliRunner.Run("classify", "eval", "--checkpoint", model, "(x)");
        Assert.Equal(2, bad.ExitCode);
        Assert.StartsWith("mklrnn classify eval: error:", bad.Error);
        var missing = CliRunner.Run("classify", "eval", "--checkpoint", _folder["none.safetensors"], "()");
        Assert.Equal(2, missing.ExitCode);
        var below = CliRunner.Run("classify", "train", "--checkpoint", _folder["b.safetensors"], "--steps", "2", "--max-length", "8",
            "--eval-size", "50", "--min-accuracy", "0.99");
        Assert.Equal(1, below.ExitCode);
    }

    /// <summary>Length 2 has six distinct strings: asking for more held-out ones, or for all of them, used to loop forever.</summary>
    [Theory]
    [InlineData("200", "ran out of new values after 6 held-out ones")]
    [InlineData("6", "leave none for training")]
    public void AHeldOutSetThatUsesUpTheStringsIsRefused(string evalSize, string expected)
    {
        var (code, _, error) = CliRunner.Run("classify", "train", "--checkpoint", _folder["tiny.safetensors"], "--max-length", "2",
            "--eval-size", evalSize, "--steps", "1");
        Assert.Equal(2, code);
        Assert.Contains(expected, error);
        Assert.False(File.Exists(_folder["tiny.safetensors"]));
    }

    public void Dispose() => _folder.Dispose();
}
