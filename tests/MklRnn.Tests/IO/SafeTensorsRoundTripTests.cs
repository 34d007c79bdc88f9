using System.Buffers.Binary;
using MklRnn.IO;

namespace MklRnn.Tests.IO;

public sealed class SafeTensorsRoundTripTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("mklrnn-io-");

    public void Dispose() => _dir.Delete(recursive: true);

    private static SafeTensorsWriter Sample()
    {
        var w = new SafeTensorsWriter();
        w.SetMetadata("kind", "rnn");
        w.SetMetadata("description", "ünïcode \"quoted\" <tag> 1e-05");
        w.Add("weight", [3, 2], [1.5f, -2f, float.MaxValue, float.Epsilon, float.NaN, float.NegativeInfinity]);
        w.AddInt64("lengths", [3], [5L, 1L, long.MinValue]);
        w.Add("loss", [], [0.25f]);              // scalar: shape (), one element
        w.Add("empty", [0, 4], []);               // a 0 dimension: no bytes
        w.AddInt64("empty_ids", [2, 0], []);
        w.Add("after", [2], [7f, 8f]);            // data after the empty tensors
        return w;
    }

    private static void AssertSample(SafeTensorsFile f)
    {
        Assert.Equal(2, f.Metadata.Count);
        Assert.Equal("rnn", f.Metadata["kind"]);
        Assert.Equal("ünïcode \"quoted\" <tag> 1e-05", f.Metadata["description"]);
        Assert.Equal(["weight", "lengths", "loss", "empty", "empty_ids", "after"], f.Tensors.Select(t => t.Name));

        Assert.Equal([3, 2], f["weight"].Shape);
        Assert.Equal(SafeTensorsDtype.F32, f["weight"].Dtype);
        Assert.Equal([1.5f, -2f, float.MaxValue, float.Epsilon, float.NaN, float.NegativeInfinity], f.ReadFloat32("weight"));

        Assert.Equal(SafeTensorsDtype.I64, f["lengths"].Dtype);
        Assert.Equal([5L, 1L, long.MinValue], f.ReadInt64("lengths"));

        Assert.Empty(f["loss"].Shape);
        Assert.Equal(1, f["loss"].ElementCount);
        Assert.Equal([0.25f], f.ReadFloat32("loss"));
        var scalar = new float[1];
        f.ReadFloat32("loss", scalar, []);
        Assert.Equal(0.25f, scalar[0]);

        Assert.Equal([0, 4], f["empty"].Shape);
        Assert.Equal(0, f["empty"].ElementCount);
        Assert.Empty(f.ReadFloat32("empty"));
        Assert.Empty(f.ReadInt64("empty_ids"));
        Assert.Equal([7f, 8f], f.ReadFloat32("after"));
    }

    [Fact]
    public void ToBytes_Parse_RoundTrips()
    {
        byte[] bytes = Sample().ToBytes();
        AssertSample(SafeTensorsFile.Parse(bytes, "memory"));
    }

    [Fact]
    public void Save_Read_RoundTrips()
    {
        string path = Path.Combine(_dir.FullName, "sample.safetensors");
        Sample().Save(path);
        AssertSample(SafeTensorsFile.Read(path));
        Assert.Equal(Sample().ToBytes(), File.ReadAllBytes(path));
        Assert.Single(_dir.GetFiles()); // no temp file left behind
    }

    [Fact]
    public void Writer_PadsHeaderToMultipleOf8_AndPacksDataContiguously()
    {
        byte[] bytes = Sample().ToBytes();
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        Assert.Equal(0UL, headerLength % 8);
        var f = SafeTensorsFile.Parse(bytes, "memory");
        Assert.Equal(8L + (long)headerLength, f.DataSectionOffset);
        long expected = 0;
        foreach (var t in f.Tensors)
        {
            Assert.Equal(expected, t.DataBegin);
            expected = t.DataEnd;
        }
        Assert.Equal(bytes.Length - f.DataSectionOffset, expected);
    }

    [Fact]
    public void NoMetadata_GivesEmptyMap()
    {
        var w = new SafeTensorsWriter();
        w.Add("x", [1], [1f]);
        var f = SafeTensorsFile.Parse(w.ToBytes(), "memory");
        Assert.Empty(f.Metadata);
        Assert.True(f.Contains("x"));
        Assert.False(f.Contains("y"));
    }

    [Fact]
    public void EmptyFile_NoTensors_RoundTrips()
    {
        var f = SafeTensorsFile.Parse(new SafeTensorsWriter().ToBytes(), "memory");
        Assert.Empty(f.Tensors);
        Assert.Empty(f.Metadata);
    }

    [Fact]
    public void ReadFloat32_ConvertsF64_F16_BF16_AndReadInt64_WidensI32()
    {
        var data = new byte[8 * 2 + 2 * 2 + 2 * 2 + 4 * 2];
        var s = data.AsSpan();
        BinaryPrimitives.WriteDoubleLittleEndian(s[0..], 1.5);
        BinaryPrimitives.WriteDoubleLittleEndian(s[8..], -2.25);
        BinaryPrimitives.WriteHalfLittleEndian(s[16..], (Half)0.5f);
        BinaryPrimitives.WriteHalfLittleEndian(s[18..], (Half)(-3f));
        BinaryPrimitives.WriteUInt16LittleEndian(s[20..], (ushort)(BitConverter.SingleToUInt32Bits(-2.25f) >> 16));
        BinaryPrimitives.WriteUInt16LittleEndian(s[22..], (ushort)(BitConverter.SingleToUInt32Bits(1024f) >> 16));
        BinaryPrimitives.WriteInt32LittleEndian(s[24..], 7);
        BinaryPrimitives.WriteInt32LittleEndian(s[28..], -3);
        const string header = """
            {"d":{"dtype":"F64","shape":[2],"data_offsets":[0,16]},
             "h":{"dtype":"F16","shape":[2],"data_offsets":[16,20]},
             "bf":{"dtype":"BF16","shape":[2],"data_offsets":[20,24]},
             "i":{"dtype":"I32","shape":[2],"data_offsets":[24,32]}}
            """;
        var f = SafeTensorsFile.Parse(SafeTensorsTestFiles.Build(header, data), "mixed");
        Assert.Equal([1.5f, -2.25f], f.ReadFloat32("d"));
        Assert.Equal([0.5f, -3f], f.ReadFloat32("h"));
        Assert.Equal([-2.25f, 1024f], f.ReadFloat32("bf"));
        Assert.Equal([7L, -3L], f.ReadInt64("i"));
        Assert.Equal([7, -3], f.ReadInt32Checked("i"));

        var e = Assert.Throws<InvalidDataException>(() => f.ReadInt64("d"));
        Assert.Contains("dtype F64", e.Message);
        e = Assert.Throws<InvalidDataException>(() => f.ReadFloat32("i"));
        Assert.Contains("dtype I32", e.Message);
    }

    [Fact]
    public void ReadFloat32_IntoSpan_ChecksShapeAndDestination()
    {
        var f = SafeTensorsFile.Parse(SafeTensorsTestFiles.Small(), "small.safetensors");
        var dest = new float[6];
        f.ReadFloat32("a", dest, [2, 3]);
        Assert.Equal([1f, 2f, 3f, 4f, 5f, 6f], dest);

        var e = Assert.Throws<InvalidDataException>(() => f.ReadFloat32("a", dest, [3, 2]));
        Assert.StartsWith("small.safetensors:", e.Message);
        Assert.Contains("'a'", e.Message);
        Assert.Contains("(2, 3)", e.Message);
        Assert.Contains("expected (3, 2)", e.Message);

        var a = Assert.Throws<ArgumentException>(() => f.ReadFloat32("a", new float[5], [2, 3]));
        Assert.Equal("destination", a.ParamName);
    }

    [Fact]
    public void UnknownName_ThrowsKeyNotFound_NamingFileAndTensor()
    {
        var f = SafeTensorsFile.Parse(SafeTensorsTestFiles.Small(), "small.safetensors");
        var e = Assert.Throws<KeyNotFoundException>(() => f["nope"]);
        Assert.Contains("small.safetensors", e.Message);
        Assert.Contains("'nope'", e.Message);
        Assert.Throws<KeyNotFoundException>(() => f.ReadFloat32("nope"));
    }

    [Fact]
    public void ReadInt32Checked_RejectsOutOfRange()
    {
        var f = SafeTensorsFile.Parse(SafeTensorsTestFiles.Small(), "small.safetensors");
        var e = Assert.Throws<InvalidDataException>(() => f.ReadInt32Checked("b"));
        Assert.Contains("element 3", e.Message);
        Assert.Contains("does not fit in int32", e.Message);
    }

    [Fact]
    public void Writer_RejectsBadArguments()
    {
        var w = new SafeTensorsWriter();
        w.Add("x", [2], [1f, 2f]);
        Assert.Equal("name", Assert.Throws<ArgumentException>(() => w.Add("x", [1], [1f])).ParamName);
        Assert.Equal("name", Assert.Throws<ArgumentException>(() => w.AddInt64("__metadata__", [1], [1L])).ParamName);
        Assert.Equal("name", Assert.Throws<ArgumentException>(() => w.Add("", [1], [1f])).ParamName);
        Assert.Equal("data", Assert.Throws<ArgumentException>(() => w.Add("y", [2, 2], [1f, 2f, 3f])).ParamName);
        Assert.Equal("data", Assert.Throws<ArgumentException>(() => w.AddInt64("y", [], [])).ParamName);
        Assert.Equal("shape", Assert.Throws<ArgumentException>(() => w.Add("y", [-1], [])).ParamName);
        // A rejected tensor is not half-added.
        w.Add("y", [1], [3f]);
        Assert.Equal(["x", "y"], SafeTensorsFile.Parse(w.ToBytes(), "m").Tensors.Select(t => t.Name));
    }
}
