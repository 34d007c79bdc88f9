using MklRnn.IO;

namespace MklRnn.Tests.Distributed;

/// <summary>
/// Data-parallel training over MPI (2 ranks under mpirun, the real CLI): the same parameters as one process with the
/// same global batch (only the float summation order differs), resume, and failures that end every rank.
/// </summary>
public sealed class DistributedTrainingTests
{
    /// <summary>Parameters of two runs agree to this fraction of each tensor's largest magnitude.</summary>
    private const double Tolerance = 1e-5;

    private static string[] CharLm(string text, string checkpoint, int steps, params string[] more) =>
        ["train", "--text", text, "--checkpoint", checkpoint, "--steps", steps.ToString(), "--batch-size", "8", "--seq-length", "16",
         "--hidden", "24", "--embedding", "8", "--layers", "2", "--checkpoint-every", "0", "--threads", "1", .. more];

    [Fact]
    public void TwoRanksTrainTheSameCharLmAsOneRankWithTheSameGlobalBatch()
    {
        using var folder = new TempFolder();
        string text = CharLmFixtures.WriteText(folder);
        var one = CliRunner.Run(CharLm(text, folder["one.safetensors"], 20));
        Assert.True(one.ExitCode == 0, one.Error);
        var two = MpiJob.Run(2, CharLm(text, folder["two.safetensors"], 20, "--distributed"));
        Assert.True(two.ExitCode == 0, two.Error);
        AssertSameParameters(folder["one.safetensors"], folder["two.safetensors"], Tolerance, includeState: true);
    }

    [Fact]
    public void TwoRanksTrainTheSameSeq2SeqModelAsOneRank()
    {
        using var folder = new TempFolder();
        // Fixed-length strings: with variable lengths the ranks' padding differs, and Adam's division by sqrt(v) + 1e-8
        // turns the summation-order noise of near-zero gradient entries into ~1e-4 relative steps (docs/distributed.md).
        string[] Args(string path, params string[] more) =>
            ["seq2seq", "train", "--out", path, "--steps", "20", "--batch", "16", "--min-length", "6", "--length", "6",
             "--eval-size", "10", "--eval-every", "0", "--hidden", "32", "--embedding", "16", .. more];
        var one = CliRunner.Run(Args(folder["one.safetensors"]));
        Assert.True(one.ExitCode == 0, one.Error);
        var two = MpiJob.Run(2, Args(folder["two.safetensors"], "--distributed"));
        Assert.True(two.ExitCode == 0, two.Error);
        AssertSameParameters(folder["one.safetensors"], folder["two.safetensors"], Tolerance, includeState: false);
    }

    [Fact]
    public void ResumingADistributedRunRepeatsTheUninterruptedRun()
    {
        using var folder = new TempFolder();
        string text = CharLmFixtures.WriteText(folder);
        var whole = MpiJob.Run(2, CharLm(text, folder["whole.safetensors"], 12, "--distributed"));
        Assert.True(whole.ExitCode == 0, whole.Error);
        var first = MpiJob.Run(2, CharLm(text, folder["parts.safetensors"], 6, "--distributed"));
        Assert.True(first.ExitCode == 0, first.Error);
        var second = MpiJob.Run(2, ["train", "--resume", "--checkpoint", folder["parts.safetensors"], "--steps", "12", "--checkpoint-every", "0", "--threads", "1", "--distributed"]);
        Assert.True(second.ExitCode == 0, second.Error);
        // Same ranks, same summation order: the resumed run is the uninterrupted one, bit for bit.
        AssertSameParameters(folder["whole.safetensors"], folder["parts.safetensors"], 0, includeState: true);

        // Another number of ranks: the checkpoint holds the global state and the global batch, so one rank goes on too.
        var single = CliRunner.Run(["train", "--resume", "--checkpoint", folder["parts.safetensors"], "--steps", "14", "--checkpoint-every", "0", "--threads", "1"]);
        Assert.True(single.ExitCode == 0, single.Error);
    }

    [Fact]
    public void AFailureOnOneRankEndsEveryRankAndLeavesTheCheckpointIntact()
    {
        using var folder = new TempFolder();
        string text = CharLmFixtures.WriteText(folder);
        var good = MpiJob.Run(2, CharLm(text, folder["ck.safetensors"], 4, "--distributed"));
        Assert.True(good.ExitCode == 0, good.Error);
        byte[] before = File.ReadAllBytes(folder["ck.safetensors"]);

        string[] resume = ["train", "--resume", "--steps", "40", "--checkpoint-every", "1", "--threads", "1", "--distributed", "--checkpoint"];
        var failed = MpiJob.RunPerRank([.. resume, folder["ck.safetensors"]], [.. resume, folder["missing.safetensors"]]);
        Assert.NotEqual(0, failed.ExitCode);
        Assert.Contains("rank 1 of 2", failed.Error);
        Assert.Contains("missing.safetensors", failed.Error);
        Assert.True(failed.Elapsed < TimeSpan.FromSeconds(30), $"the job took {failed.Elapsed}");
        Assert.Equal(before, File.ReadAllBytes(folder["ck.safetensors"]));
    }

    [Fact]
    public void RanksThatBuildDifferentModelsAreRefused()
    {
        using var folder = new TempFolder();
        string text = CharLmFixtures.WriteText(folder);
        var job = MpiJob.RunPerRank(CharLm(text, folder["a.safetensors"], 2, "--distributed", "--seed", "1"),
            CharLm(text, folder["a.safetensors"], 2, "--distributed", "--seed", "2"));
        Assert.NotEqual(0, job.ExitCode);
        Assert.Contains("differ between ranks", job.Error);
        Assert.False(File.Exists(folder["a.safetensors"]));
    }

    [Fact]
    public void AnUnevenGlobalBatchIsRefusedNamingTheFlag()
    {
        using var folder = new TempFolder();
        string text = CharLmFixtures.WriteText(folder);
        string[] args = CharLm(text, folder["a.safetensors"], 2, "--distributed");
        args[Array.IndexOf(args, "--batch-size") + 1] = "7";
        var job = MpiJob.Run(2, args);
        Assert.NotEqual(0, job.ExitCode);
        Assert.Contains("--batch-size 7", job.Error);
    }

    [Fact]
    public void DistributedWithoutMpirunSaysHowToLaunch()
    {
        using var folder = new TempFolder();
        string text = CharLmFixtures.WriteText(folder);
        var run = CliRunner.Run(CharLm(text, folder["a.safetensors"], 2, "--distributed"));
        Assert.Equal(2, run.ExitCode);
        Assert.Contains("mpirun -np 2", run.Error);
        Assert.False(File.Exists(folder["a.safetensors"]));
    }

    private static void AssertSameParameters(string expectedPath, string actualPath, double tolerance, bool includeState)
    {
        SafeTensorsFile expected = SafeTensorsFile.Read(expectedPath), actual = SafeTensorsFile.Read(actualPath);
        int compared = 0;
        foreach (string name in expected.Tensors.Where(t => t.Dtype == SafeTensorsDtype.F32).Select(t => t.Name))
        {
            bool isParameter = !name.StartsWith("train.", StringComparison.Ordinal) && !name.StartsWith("optimizer.", StringComparison.Ordinal);
            if (!isParameter && !(includeState && name == "train.state")) continue;
            float[] e = expected.ReadFloat32(name), a = actual.ReadFloat32(name);
            Assert.Equal(e.Length, a.Length);
            double scale = e.Length == 0 ? 0 : e.Max(v => Math.Abs((double)v));
            double worst = 0;
            for (int i = 0; i < e.Length; i++) worst = Math.Max(worst, Math.Abs((double)e[i] - a[i]));
            Assert.True(worst <= tolerance * scale, $"{name}: max |difference| {worst:G3} > {tolerance:G2} x max |value| {scale:G3}");
            compared++;
        }
        Assert.True(compared >= 5, $"only {compared} tensors compared");
    }
}
