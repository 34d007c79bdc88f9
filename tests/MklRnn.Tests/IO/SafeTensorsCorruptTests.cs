using System.Buffers.Binary;
using System.Text;
using MklRnn.IO;

namespace MklRnn.Tests.IO;

/// <summary>Every malformed input is an InvalidDataException that names the file and the problem.</summary>
public sealed class SafeTensorsCorruptTests
{
    private const string Source = "corrupt.safetensors";

    private static void AssertInvalid(byte[] bytes, string fragment)
    {
        var e = Assert.Throws<InvalidDataException>(() => SafeTensorsFile.Parse(bytes, Source));
        Assert.StartsWith(Source + ": ", e.Message);
        Assert.Contains(fragment, e.Message);
    }

    private static int HeaderLength(byte[] file) => (int)BinaryPrimitives.ReadUInt64LittleEndian(file);

    /// <summary>Issue 11 item 6: the 21-byte file whose header is {"\uD800":{}} (a lone surrogate escape), and the same in metadata.</summary>
    [Theory]
    [InlineData("{\"\\uD800\":{}}")]
    [InlineData("{\"__metadata__\":{\"k\":\"\\uDC00\"}}")]
    public void LoneSurrogateEscape_IsInvalidData(string header)
    {
        byte[] json = Encoding.UTF8.GetBytes(header);
        var bytes = new byte[8 + json.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)json.Length);
        json.CopyTo(bytes, 8);
        AssertInvalid(bytes, "not valid Unicode");
    }

    [Fact]
    public void SmallFile_IsValid() =>
        Assert.Equal(2, SafeTensorsFile.Parse(SafeTensorsTestFiles.Small(), Source).Tensors.Count);

    [Fact]
    public void Truncated_AtEveryKindOfPoint()
    {
        byte[] file = SafeTensorsTestFiles.Small();
        int h = HeaderLength(file);
        // Inside the length prefix.
        foreach (int cut in new[] { 0, 1, 7 })
            AssertInvalid(file[..cut], "shorter than the 8-byte");
        // Inside the header.
        foreach (int cut in new[] { 8, 9, 8 + h / 2, 8 + h - 1 })
            AssertInvalid(file[..cut], "exceeds the");
        // Inside (or at the start of) the data section.
        foreach (int cut in new[] { 8 + h, 8 + h + 1, 8 + h + 24, file.Length - 1 })
            AssertInvalid(file[..cut], "beyond the data section");
    }

    [Fact]
    public void HeaderLength_TooLarge()
    {
        byte[] file = SafeTensorsTestFiles.Small();
        BinaryPrimitives.WriteUInt64LittleEndian(file, (ulong)file.Length - 7);
        AssertInvalid(file, "exceeds the");
        BinaryPrimitives.WriteUInt64LittleEndian(file, ulong.MaxValue); // must not wrap negative
        AssertInvalid(file, "limit");
        BinaryPrimitives.WriteUInt64LittleEndian(file, 200_000_000);
        AssertInvalid(file, "limit");
    }

    [Fact]
    public void HeaderLength_Zero()
    {
        byte[] file = SafeTensorsTestFiles.Small();
        BinaryPrimitives.WriteUInt64LittleEndian(file, 0);
        AssertInvalid(file, "header length is 0");
    }

    [Theory]
    [InlineData("not json at all")]
    [InlineData("{\"a\":")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",}}")]
    public void Header_NotJson(string header) =>
        AssertInvalid(SafeTensorsTestFiles.Build(header, []), "not valid JSON");

    [Fact]
    public void Header_NotUtf8()
    {
        byte[] header = Encoding.UTF8.GetBytes("{\"__metadata__\":{\"k\":\"v?\"}}");
        header[Array.IndexOf(header, (byte)'?')] = 0xFF;
        AssertInvalid(SafeTensorsTestFiles.Build(header, []), "not valid UTF-8");
    }

    [Theory]
    [InlineData("[1,2]", "expected an object")]
    [InlineData("\"text\"", "expected an object")]
    public void Header_NotAnObject(string header, string fragment) =>
        AssertInvalid(SafeTensorsTestFiles.Build(header, []), fragment);

    [Theory]
    // dtype
    [InlineData("\"dtype\":\"F32\"", "\"dtype\":\"F33\"", "unknown dtype 'F33'")]
    [InlineData("\"dtype\":\"F32\"", "\"dtype\":\"f32\"", "unknown dtype 'f32'")]
    [InlineData("\"dtype\":\"F32\"", "\"dtype\":\"1\"", "unknown dtype '1'")]
    [InlineData("\"dtype\":\"F32\"", "\"dtype\":4", "'dtype' is a JSON Number")]
    [InlineData("\"dtype\":\"F32\",", "", "missing 'dtype'")]
    // shape
    [InlineData("[2,3]", "[-2,3]", "negative dimension -2")]
    [InlineData("[2,3]", "[2.5,3]", "not an integer")]
    [InlineData("[2,3]", "[\"2\",3]", "not an integer")]
    [InlineData("\"shape\":[2,3]", "\"shape\":6", "'shape' is a JSON Number")]
    [InlineData("[2,3]", "[4294967296]", "too large")]
    [InlineData("[2,3]", "[2147483647,2147483647,2147483647]", "overflows")]
    [InlineData("\"shape\":[2,3],", "", "missing 'shape'")]
    // data_offsets
    [InlineData("[24,56]", "[24,64]", "beyond the data section")]
    [InlineData("[24,56]", "[24,9223372036854775807]", "beyond the data section")]
    [InlineData("[0,24]", "[24,0]", "begin 24 > end 0")]
    [InlineData("[0,24]", "[-8,16]", "two non-negative integers")]
    [InlineData("[0,24]", "[0,24,48]", "array of two integers")]
    [InlineData("[0,24]", "[0.0,24]", "two non-negative integers")]
    [InlineData("[0,24]", "[0,18446744073709551616]", "two non-negative integers")]
    [InlineData(",\"data_offsets\":[0,24]", "", "missing 'data_offsets'")]
    // byte length vs shape x dtype
    [InlineData("[2,3]", "[2,2]", "span 24 bytes but shape (2, 2) of F32 needs 16")]
    [InlineData("\"dtype\":\"F32\"", "\"dtype\":\"F64\"", "needs 48")]
    // overlap and duplicates
    [InlineData("[24,56]", "[16,48]", "overlap")]
    [InlineData("\"b\":{", "\"a\":{", "duplicate name 'a'")]
    [InlineData("\"shape\":[2,3],", "\"shape\":[2,3],\"shape\":[2,3],", "duplicate field 'shape'")]
    // entries and metadata
    [InlineData("\"kind\":\"test\"", "\"kind\":5", "value for key 'kind' is a JSON Number, expected a string")]
    [InlineData("\"kind\":\"test\"", "\"kind\":null", "expected a string")]
    [InlineData("{\"kind\":\"test\"}", "\"meta\"", "__metadata__ is a JSON String")]
    [InlineData("\"kind\":\"test\"", "\"kind\":\"a\",\"kind\":\"b\"", "duplicate __metadata__ key 'kind'")]
    [InlineData("\"__metadata__\":{\"kind\":\"test\"},", "\"__metadata__\":{},\"__metadata__\":{},", "duplicate name '__metadata__'")]
    [InlineData("\"a\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,24]}", "\"a\":[1]", "entry is a JSON Array")]
    public void Header_Edited(string find, string replace, string fragment) =>
        AssertInvalid(SafeTensorsTestFiles.EditHeader(SafeTensorsTestFiles.Small(), find, replace), fragment);

    [Fact]
    public void EmptyTensor_InsideAnotherRange_IsNotAnOverlap()
    {
        // Zero-byte tensors occupy nothing, wherever their offset points.
        byte[] file = SafeTensorsTestFiles.EditHeader(SafeTensorsTestFiles.Small(),
            "\"b\":{", "\"e\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[8,8]},\"b\":{");
        var f = SafeTensorsFile.Parse(file, Source);
        Assert.Empty(f.ReadFloat32("e"));
    }

    [Fact]
    public void Read_MissingFile_IsFileNotFound()
    {
        Assert.Throws<FileNotFoundException>(() =>
            SafeTensorsFile.Read(Path.Combine(Path.GetTempPath(), "mklrnn-does-not-exist-" + Guid.NewGuid() + ".safetensors")));
    }

    [Fact]
    public void Read_NamesThePath()
    {
        string path = Path.Combine(Path.GetTempPath(), "mklrnn-corrupt-" + Guid.NewGuid() + ".safetensors");
        File.WriteAllBytes(path, [1, 2, 3]);
        try
        {
            var e = Assert.Throws<InvalidDataException>(() => SafeTensorsFile.Read(path));
            Assert.StartsWith(path + ": ", e.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
