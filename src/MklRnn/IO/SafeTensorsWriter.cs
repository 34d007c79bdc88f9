using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace MklRnn.IO;

/// <summary>
/// Builds a safetensors file: tensors are copied when added (the caller may reuse its buffers),
/// then written in the order added, contiguously, after a space-padded JSON header.
/// </summary>
public sealed class SafeTensorsWriter
{
    private const string MetadataKey = "__metadata__";

    private readonly List<Entry> _entries = new();
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);
    private readonly OrderedDictionary<string, string> _metadata = new(StringComparer.Ordinal);

    private sealed record Entry(string Name, SafeTensorsDtype Dtype, int[] Shape, byte[] Bytes);

    /// <summary>Adds an F32 tensor. A scalar has an empty <paramref name="shape"/> and one value.</summary>
    public void Add(string name, ReadOnlySpan<int> shape, ReadOnlySpan<float> data)
    {
        CheckNew(name, shape, data.Length);
        var bytes = new byte[checked(data.Length * sizeof(float))];
        if (BitConverter.IsLittleEndian)
            MemoryMarshal.AsBytes(data).CopyTo(bytes);
        else
            for (int i = 0; i < data.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(4 * i), data[i]);
        Append(name, SafeTensorsDtype.F32, shape, bytes);
    }

    /// <summary>Adds an I64 tensor (lengths, targets).</summary>
    public void AddInt64(string name, ReadOnlySpan<int> shape, ReadOnlySpan<long> data)
    {
        CheckNew(name, shape, data.Length);
        var bytes = new byte[checked(data.Length * sizeof(long))];
        if (BitConverter.IsLittleEndian)
            MemoryMarshal.AsBytes(data).CopyTo(bytes);
        else
            for (int i = 0; i < data.Length; i++) BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(8 * i), data[i]);
        Append(name, SafeTensorsDtype.I64, shape, bytes);
    }

    /// <summary>Sets (or replaces) a <c>__metadata__</c> entry.</summary>
    public void SetMetadata(string key, string value)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(value);
        _metadata[key] = value;
    }

    /// <summary>Writes the file atomically (temp file, flush to disk, rename); an existing file survives any failure.</summary>
    public void Save(string path) => AtomicFile.Write(path, WriteTo);

    /// <summary>The complete file as bytes.</summary>
    public byte[] ToBytes()
    {
        using var stream = new MemoryStream();
        WriteTo(stream);
        return stream.ToArray();
    }

    /// <summary>Writes the complete file to <paramref name="stream"/>.</summary>
    public void WriteTo(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        byte[] header = BuildHeader();
        Span<byte> prefix = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(prefix, (ulong)header.Length);
        stream.Write(prefix);
        stream.Write(header);
        foreach (var e in _entries) stream.Write(e.Bytes);
    }

    private byte[] BuildHeader()
    {
        using var buffer = new MemoryStream();
        // Relaxed escaping keeps non-ASCII metadata readable; the output is still valid JSON.
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            if (_metadata.Count > 0)
            {
                json.WriteStartObject(MetadataKey);
                foreach (var (key, value) in _metadata) json.WriteString(key, value);
                json.WriteEndObject();
            }
            long offset = 0;
            foreach (var e in _entries)
            {
                json.WriteStartObject(e.Name);
                json.WriteString("dtype", e.Dtype.ToHeaderString());
                json.WriteStartArray("shape");
                foreach (int d in e.Shape) json.WriteNumberValue(d);
                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                json.WriteNumberValue(offset + e.Bytes.Length);
                json.WriteEndArray();
                json.WriteEndObject();
                offset += e.Bytes.Length;
            }
            json.WriteEndObject();
        }
        // The format pads the header with spaces to a multiple of 8 so the data section starts aligned.
        int padding = (int)((8 - buffer.Length % 8) % 8);
        for (int i = 0; i < padding; i++) buffer.WriteByte((byte)' ');
        return buffer.ToArray();
    }

    private void CheckNew(string name, ReadOnlySpan<int> shape, int dataLength)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (name == MetadataKey)
            throw new ArgumentException($"'{MetadataKey}' is reserved and cannot name a tensor", nameof(name));
        if (_names.Contains(name))
            throw new ArgumentException($"a tensor named '{name}' was already added", nameof(name));
        foreach (int d in shape)
        {
            if (d < 0)
                throw new ArgumentException($"tensor '{name}': negative dimension {d} in shape {SafeTensorInfo.FormatShape(shape)}", nameof(shape));
        }
        // Saturate instead of overflowing: any count beyond int.MaxValue already mismatches a span length.
        long count = shape.Contains(0) ? 0 : 1;
        foreach (int d in shape)
        {
            if (count > int.MaxValue) break;
            count *= d;
        }
        if (count != dataLength)
            throw new ArgumentException(
                $"tensor '{name}': shape {SafeTensorInfo.FormatShape(shape)} holds {count} elements but data has {dataLength}", "data");
    }

    private void Append(string name, SafeTensorsDtype dtype, ReadOnlySpan<int> shape, byte[] bytes)
    {
        _names.Add(name);
        _entries.Add(new Entry(name, dtype, shape.ToArray(), bytes));
    }
}
