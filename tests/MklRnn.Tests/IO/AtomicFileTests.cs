using MklRnn.IO;

namespace MklRnn.Tests.IO;

public sealed class AtomicFileTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("mklrnn-atomic-");

    public void Dispose() => _dir.Delete(recursive: true);

    private string PathOf(string name) => Path.Combine(_dir.FullName, name);

    [Fact]
    public void Save_OverExistingFile_ReplacesIt()
    {
        string path = PathOf("model.safetensors");
        File.WriteAllBytes(path, new byte[1000]);

        var w = new SafeTensorsWriter();
        w.Add("x", [3], [1f, 2f, 3f]);
        w.Save(path);

        Assert.Equal(w.ToBytes(), File.ReadAllBytes(path));
        Assert.Equal([1f, 2f, 3f], SafeTensorsFile.Read(path).ReadFloat32("x"));
        Assert.Equal(["model.safetensors"], _dir.GetFiles().Select(f => f.Name));
    }

    [Fact]
    public void FailedWrite_LeavesOldFileIdentical_AndNoTempFile()
    {
        string path = PathOf("model.safetensors");
        var old = new SafeTensorsWriter();
        old.Add("old", [2], [4f, 5f]);
        old.Save(path);
        byte[] before = File.ReadAllBytes(path);

        var e = Assert.Throws<InvalidOperationException>(() => AtomicFile.Write(path, stream =>
        {
            stream.Write(new byte[4096]); // partially written...
            throw new InvalidOperationException("disk full (simulated)");
        }));
        Assert.Equal("disk full (simulated)", e.Message);

        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.Equal(["model.safetensors"], _dir.GetFiles().Select(f => f.Name));
    }

    [Fact]
    public void Write_CreatesNewFile()
    {
        string path = PathOf("new.bin");
        AtomicFile.Write(path, s => s.Write([1, 2, 3]));
        Assert.Equal([1, 2, 3], File.ReadAllBytes(path));
        Assert.Single(_dir.GetFiles());
    }

    [Fact]
    public void Save_IntoMissingDirectory_Throws_WithoutSideEffects()
    {
        var w = new SafeTensorsWriter();
        w.Add("x", [1], [1f]);
        Assert.ThrowsAny<IOException>(() => w.Save(PathOf(Path.Combine("missing", "x.safetensors"))));
        Assert.Empty(_dir.GetFileSystemInfos());
    }
}
