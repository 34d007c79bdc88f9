using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace MklRnn.Tests.Training;

/// <summary>
/// A minimal safetensors reader for the training tests (F32 and I64 only): enough for the head_* and
/// clip_* conformance cases until the shared reader is merged.
/// </summary>
internal sealed class CaseFileReader
{
    private readonly Dictionary<string, (string Dtype, int[] Shape, byte[] Bytes)> _tensors = new(StringComparer.Ordinal);

    public static string CasesDirectory => Path.Combine(AppContext.BaseDirectory, "conformance");

    public static CaseFileReader Open(string caseName) => new(Path.Combine(CasesDirectory, caseName + ".safetensors"));

    public CaseFileReader(string path)
    {
        byte[] all = File.ReadAllBytes(path);
        long headerLength = BinaryPrimitives.ReadInt64LittleEndian(all);
        using JsonDocument doc = JsonDocument.Parse(Encoding.UTF8.GetString(all, 8, (int)headerLength));
        int dataStart = 8 + (int)headerLength;
        foreach (JsonProperty entry in doc.RootElement.EnumerateObject())
        {
            if (entry.Name == "__metadata__")
            {
                foreach (JsonProperty m in entry.Value.EnumerateObject()) Metadata[m.Name] = m.Value.GetString()!;
                continue;
            }
            string dtype = entry.Value.GetProperty("dtype").GetString()!;
            int[] shape = entry.Value.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()).ToArray();
            long[] offsets = entry.Value.GetProperty("data_offsets").EnumerateArray().Select(e => e.GetInt64()).ToArray();
            _tensors[entry.Name] = (dtype, shape, all[(dataStart + (int)offsets[0])..(dataStart + (int)offsets[1])]);
        }
    }

    public Dictionary<string, string> Metadata { get; } = new(StringComparer.Ordinal);

    public double Double(string key) => double.Parse(Metadata[key], CultureInfo.InvariantCulture);

    public bool Contains(string name) => _tensors.ContainsKey(name);

    public int[] Shape(string name) => _tensors[name].Shape;

    public float[] Float32(string name)
    {
        var (dtype, _, bytes) = _tensors[name];
        Assert.Equal("F32", dtype);
        var values = new float[bytes.Length / 4];
        for (int i = 0; i < values.Length; i++) values[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(i * 4));
        return values;
    }

    public int[] Int64AsInt32(string name)
    {
        var (dtype, _, bytes) = _tensors[name];
        Assert.Equal("I64", dtype);
        var values = new int[bytes.Length / 8];
        for (int i = 0; i < values.Length; i++) values[i] = checked((int)BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(i * 8)));
        return values;
    }

    /// <summary>The conformance pass rule: same shape and |got - want| &lt;= atol + rtol |want| everywhere.</summary>
    public void Expect(string name, ReadOnlySpan<float> got, int[] gotShape, double atol, double rtol)
    {
        Assert.True(Contains(name), $"case has no tensor '{name}'");
        Assert.Equal(Shape(name), gotShape);
        float[] want = Float32(name);
        Assert.Equal(want.Length, got.Length);
        for (int i = 0; i < want.Length; i++)
        {
            double diff = Math.Abs((double)got[i] - want[i]);
            Assert.True(diff <= atol + rtol * Math.Abs(want[i]),
                $"{name}[{i}]: got {got[i]}, want {want[i]} (|diff| {diff} > {atol} + {rtol} * |want|)");
        }
    }
}
