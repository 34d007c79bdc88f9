using System.Diagnostics;
using MklRnn.IO;
using MklRnn.Layers;

namespace MklRnn.Tests.IO;

/// <summary>Issue 11 item 7: loaders refuse what is not a regular file, by name, without opening it (a FIFO blocked forever before).</summary>
public sealed class HostileFileTests
{
    public static TheoryData<string> SpecialPaths => new() { "fifo", "/dev/zero", "directory" };

    [Theory]
    [MemberData(nameof(SpecialPaths))]
    public async Task EveryLoader_RefusesANonRegularFile_WithoutBlocking(string which)
    {
        using var temp = new TempFolder();
        string path = which switch
        {
            "fifo" => MakeFifo(temp["pipe.safetensors"]),
            "directory" => Directory.CreateDirectory(temp["dir.safetensors"]).FullName,
            _ => which,
        };
        string expected = which switch { "fifo" => "FIFO", "directory" => "directory", _ => "character device" };
        // Each call runs on a worker with a deadline: a loader that opened the FIFO would block here.
        foreach (Action load in new Action[]
                 {
                     () => SafeTensorsFile.Read(path),
                     () => RecurrentStack.Load(path).Dispose(),
                     () => RecurrentStack.FromStateDict(path).Dispose(),
                     () => new RecurrentStack(new RnnConfig(CellKind.Gru, 2, 2)).LoadWeights(path),
                     () => MklRnn.Seq2Seq.Seq2SeqModel.Load(path).Dispose(),
                     () => MklRnn.CharLm.CharLmFile.Load(path).Model.Dispose(),
                 })
        {
            Task<Exception?> attempt = Task.Run(() => (Exception?)Record.Exception(load));
            Assert.True(await Task.WhenAny(attempt, Task.Delay(TimeSpan.FromSeconds(10))) == attempt, $"a loader blocked on {path}");
            Exception? thrown = await attempt;
            // The char-LM loader reports its own exception type around the IOException.
            Exception e = thrown is MklRnn.CharLm.CharLmException wrapped ? wrapped.InnerException! : thrown!;
            Assert.IsType<IOException>(e);
            Assert.Contains(path, e.Message);
            Assert.Contains(expected, e.Message);
        }
    }

    [Fact]
    public void AMissingFile_IsStillFileNotFound()
    {
        using var temp = new TempFolder();
        Assert.Throws<FileNotFoundException>(() => SafeTensorsFile.Read(temp["absent.safetensors"]));
    }

    [Fact]
    public void AHeaderWithALoneSurrogateEscape_IsInvalidData()
    {
        // Issue 11 item 6: the 21-byte file 0d00000000000000 7b225c7564383030223a7b7d7d threw InvalidOperationException.
        byte[] bytes = Convert.FromHexString("0d000000000000007b225c7564383030223a7b7d7d");
        var e = Assert.Throws<InvalidDataException>(() => SafeTensorsFile.Parse(bytes, "surrogate.safetensors"));
        Assert.StartsWith("surrogate.safetensors", e.Message);
    }

    private static string MakeFifo(string path)
    {
        using var mkfifo = Process.Start("mkfifo", [path]);
        mkfifo.WaitForExit();
        Assert.Equal(0, mkfifo.ExitCode);
        return path;
    }
}
