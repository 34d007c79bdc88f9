using MklRnn.Fuzz;
using MklRnn.IO;

namespace MklRnn.Tests.Fuzz;

/// <summary>The fuzz harness itself: it reports what it must (an undocumented exception type, a hang) and keeps inputs with new outcomes.</summary>
public sealed class FuzzHarnessTests
{
    private static readonly byte[][] Seeds = [Convert.FromHexString("0d000000000000007b225c7564383030223a7b7d7d"), new byte[8]];

    [Fact]
    public void AnUndocumentedExceptionType_IsAFinding_WithItsInputSaved()
    {
        using var temp = new TempFolder();
        var target = new FuzzTarget("parse-documents-nothing", (bytes, _) => SafeTensorsFile.Parse(bytes, "fuzz"));
        var loop = new FuzzLoop(target, Seeds, temp.Path, seed: 1, hangLimit: TimeSpan.FromSeconds(5), log: TextWriter.Null);
        Assert.True(loop.Run(TimeSpan.Zero));
        Assert.Equal(2, loop.Findings); // both seeds throw InvalidDataException, which this target does not document
        Assert.Equal(2, Directory.GetFiles(Path.Combine(temp.Path, "findings")).Length);
    }

    [Fact]
    public void TheRealTargetKeepsInputsWithNewOutcomes_AndFindsNothingInItsSeeds()
    {
        using var temp = new TempFolder();
        FuzzTarget target = Assert.Single(FuzzTargets.All, t => t.Name == "safetensors");
        var loop = new FuzzLoop(target, Seeds, temp.Path, seed: 1, hangLimit: TimeSpan.FromSeconds(5), log: TextWriter.Null);
        Assert.True(loop.Run(TimeSpan.FromSeconds(1)));
        Assert.Equal(0, loop.Findings);
        Assert.True(loop.CorpusSize > Seeds.Length, $"corpus {loop.CorpusSize}");
    }

    [Fact]
    public void ARunOverTheDeadline_IsAHang()
    {
        using var temp = new TempFolder();
        using var release = new ManualResetEventSlim();
        var target = new FuzzTarget("hangs", (_, _) => release.Wait(TimeSpan.FromSeconds(30)));
        var loop = new FuzzLoop(target, [new byte[1]], temp.Path, seed: 1, hangLimit: TimeSpan.FromMilliseconds(200), log: TextWriter.Null);
        Assert.False(loop.Run(TimeSpan.Zero));
        Assert.Equal(1, loop.Findings);
        release.Set();
    }
}
