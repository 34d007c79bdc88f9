namespace MklRnn.Tests.Seq2Seq;

/// <summary>
/// The same seed gives the same checkpoint, byte for byte, in two separate processes (the training data's
/// per-step seed must not depend on anything randomised per process, such as HashCode).
/// </summary>
public sealed class Seq2SeqReproducibilityTests : IDisposable
{
    private readonly TempFolder _folder = new();

    [Fact]
    public void TwoProcessesWithOneSeedWriteIdenticalCheckpoints()
    {
        byte[] first = File.ReadAllBytes(TrainInNewProcess("a.safetensors"));
        byte[] second = File.ReadAllBytes(TrainInNewProcess("b.safetensors"));
        Assert.True(first.AsSpan().SequenceEqual(second), $"checkpoints differ ({first.Length} and {second.Length} bytes)");
    }

    private string TrainInNewProcess(string name)
    {
        string path = _folder[name];
        string cli = Path.Combine(AppContext.BaseDirectory, "mklrnn.dll");
        var run = ChildProcess.Run(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet",
            [cli, "seq2seq", "train", "--out", path, "--steps", "6", "--batch", "8", "--length", "5",
             "--hidden", "8", "--embedding", "4", "--eval-size", "10", "--eval-every", "0", "--seed", "3",
             "--attention", "local-p", "--window", "2"], TimeSpan.FromSeconds(60));
        Assert.True(run.ExitCode == 0, $"exit {run.ExitCode}: {run.Output}{run.Error}");
        return path;
    }

    public void Dispose() => _folder.Dispose();
}
