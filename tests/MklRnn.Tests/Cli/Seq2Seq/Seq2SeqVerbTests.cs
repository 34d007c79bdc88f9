namespace MklRnn.Tests.Cli.Seq2Seq;

/// <summary>`mklrnn seq2seq train|decode` in-process through the real command tree.</summary>
public sealed class Seq2SeqVerbTests : IDisposable
{
    private readonly TempFolder _folder = new();

    private static (int ExitCode, string Output, string Error) Run(params string[] args) => CliRunner.Run(["seq2seq", .. args]);

    [Fact]
    public void TrainsSavesAndDecodes()
    {
        string model = _folder["reverse.safetensors"];
        var train = Run("train", "--checkpoint", model, "--steps", "300", "--length", "6", "--batch-size", "32", "--hidden", "32", "--embedding", "16",
            "--eval-size", "100", "--eval-every", "100", "--lr", "0.01", "--min-accuracy", "0.9");
        Assert.True(train.ExitCode == 0, train.Output + train.Error);
        Assert.Contains("step    300", train.Output);
        Assert.Contains("held-out sequence accuracy", train.Output);
        Assert.True(File.Exists(model));
        Assert.DoesNotContain(Directory.GetFiles(_folder.Path), f => f != model); // atomic write leaves no temp file

        var decode = Run("decode", "--checkpoint", model, "--beam", "3", "--nbest", "2", "123456", "9");
        Assert.Equal(0, decode.ExitCode);
        string[] lines = decode.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(4, lines.Length);
        Assert.StartsWith("123456\t654321\t", lines[0]);
        Assert.StartsWith("9\t9\t", lines[2]);

        var eval = Run("decode", "--checkpoint", model, "--eval", "--beam", "4");
        Assert.Equal(0, eval.ExitCode);
        Assert.Contains("greedy        sequence accuracy", eval.Output);

        var resumed = Run("train", "--checkpoint", model, "--resume", "--steps", "310", "--length", "6", "--batch-size", "32", "--eval-size", "100", "--eval-every", "0");
        Assert.True(resumed.ExitCode == 0, resumed.Output + resumed.Error);
        Assert.Contains("hidden 32", resumed.Output); // the architecture comes from the checkpoint
    }

    [Fact]
    public void UserErrorsPrintOneLineAndExitNonZero()
    {
        var missing = Run("decode", "--checkpoint", _folder["none.safetensors"], "12");
        Assert.Equal(2, missing.ExitCode);
        Assert.Single(missing.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("mklrnn seq2seq decode: error:", missing.Error);

        var cell = Run("train", "--checkpoint", _folder["x.safetensors"], "--cell", "transformer");
        Assert.Equal(2, cell.ExitCode);
        Assert.Contains("--cell", cell.Error);

        var below = Run("train", "--checkpoint", _folder["y.safetensors"], "--steps", "2", "--length", "4", "--eval-size", "20", "--min-accuracy", "0.99");
        Assert.Equal(1, below.ExitCode);
        foreach (string[] bad in new[]
                 {
                     new[] { "--attention", "local" }, new[] { "--attention", "local-p", "--window", "0" }, new[] { "--task", "poems" },
                 })
        {
            var refused = Run(["train", "--checkpoint", _folder["z.safetensors"], .. bad]);
            Assert.Equal(2, refused.ExitCode);
            Assert.Contains(bad[^2], refused.Error);
        }
        Assert.False(File.Exists(_folder["z.safetensors"]));
    }

    [Fact]
    public void DatesModelDecodesWithAndWithoutReplacement()
    {
        string model = _folder["dates.safetensors"];
        var train = Run("train", "--task", "dates", "--checkpoint", model, "--steps", "20", "--hidden", "16", "--embedding", "8",
            "--eval-size", "50", "--eval-every", "0", "--attention", "local-p", "--window", "2");
        Assert.True(train.ExitCode == 0, train.Output + train.Error);
        Assert.Contains("normalising dates", train.Output);
        var eval = Run("decode", "--checkpoint", model, "--eval", "--replace-unk", "Dec 2nd, 1837");
        Assert.True(eval.ExitCode == 0, eval.Output + eval.Error);
        Assert.Contains("greedy without <unk> replacement", eval.Output);
        Assert.Contains("greedy with    <unk> replacement", eval.Output);
        Assert.StartsWith("Dec 2nd, 1837\t", eval.Output.Split('\n').Last(l => l.Length > 0));
    }

    public void Dispose() => _folder.Dispose();
}
