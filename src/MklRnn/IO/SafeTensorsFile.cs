using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Unicode;

namespace MklRnn.IO;

/// <summary>
/// A safetensors file held in memory and fully validated on load: 8-byte little-endian header
/// length, a UTF-8 JSON header, then the raw little-endian tensor bytes.
/// Every format problem is an <see cref="InvalidDataException"/> whose message starts with the
/// file name; no reader ever slices outside the buffer, because every range is checked up front.
/// </summary>
public sealed class SafeTensorsFile
{
    /// <summary>Largest header accepted (as the reference implementation): guards against absurd allocations.</summary>
    public const long MaxHeaderLength = 100_000_000;

    private const string MetadataKey = "__metadata__";

    private readonly ReadOnlyMemory<byte> _data; // the data section only
    private readonly Dictionary<string, SafeTensorInfo> _byName;

    private SafeTensorsFile(string source, ReadOnlyMemory<byte> data, long dataSectionOffset,
        List<SafeTensorInfo> tensors, Dictionary<string, string> metadata)
    {
        SourceName = source;
        _data = data;
        DataSectionOffset = dataSectionOffset;
        Tensors = tensors;
        Metadata = metadata;
        _byName = new Dictionary<string, SafeTensorInfo>(StringComparer.Ordinal);
        foreach (var t in tensors) _byName.Add(t.Name, t);
    }

    /// <summary>The file name or label used in error messages.</summary>
    public string SourceName { get; }

    /// <summary>Position of the data section in the file (8 + header length).</summary>
    public long DataSectionOffset { get; }

    /// <summary>The <c>__metadata__</c> map; empty when the header has none.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>Tensor entries in the order the header lists them.</summary>
    public IReadOnlyList<SafeTensorInfo> Tensors { get; }

    public bool Contains(string name) => _byName.ContainsKey(name);

    /// <summary>The entry for <paramref name="name"/>; <see cref="KeyNotFoundException"/> naming the file and tensor when absent.</summary>
    public SafeTensorInfo this[string name] =>
        _byName.TryGetValue(name, out var info)
            ? info
            : throw new KeyNotFoundException($"{SourceName}: no tensor named '{name}'");

    // ---------------------------------------------------------------- loading

    /// <summary>Reads the whole file into memory and validates it; refuses what is not a regular file (<see cref="RegularFile"/>) without opening it.</summary>
    public static SafeTensorsFile Read(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        RegularFile.Require(path);
        return Parse(File.ReadAllBytes(path), path);
    }

    /// <summary>Validates <paramref name="bytes"/> (kept, not copied); <paramref name="sourceName"/> labels errors.</summary>
    public static SafeTensorsFile Parse(ReadOnlyMemory<byte> bytes, string sourceName)
    {
        ArgumentNullException.ThrowIfNull(sourceName);
        var span = bytes.Span;
        if (span.Length < 8)
            throw Fail(sourceName, $"file is {span.Length} bytes, shorter than the 8-byte header length prefix");

        // Compare as unsigned first: a huge u64 must not wrap to a negative long.
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(span);
        long available = span.Length - 8L;
        if (headerLength == 0)
            throw Fail(sourceName, "header length is 0");
        if (headerLength > MaxHeaderLength)
            throw Fail(sourceName, $"header length {headerLength} exceeds the {MaxHeaderLength}-byte limit");
        if (headerLength > (ulong)available)
            throw Fail(sourceName, $"header length {headerLength} exceeds the {available} bytes after the length prefix (file truncated?)");

        int headerLen = (int)headerLength;
        var header = bytes.Slice(8, headerLen);
        var data = bytes.Slice(8 + headerLen);
        var (tensors, metadata) = ParseHeader(sourceName, header, data.Length);
        return new SafeTensorsFile(sourceName, data, 8L + headerLen, tensors, metadata);
    }

    private static (List<SafeTensorInfo>, Dictionary<string, string>) ParseHeader(
        string source, ReadOnlyMemory<byte> header, long dataLength)
    {
        if (!Utf8.IsValid(header.Span))
            throw Fail(source, "header is not valid UTF-8");

        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(header);
        }
        catch (JsonException e)
        {
            throw Fail(source, $"header is not valid JSON: {e.Message}", e);
        }

        using (doc)
        try
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                throw Fail(source, $"header is a JSON {root.ValueKind}, expected an object");

            var tensors = new List<SafeTensorInfo>();
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            // JsonDocument keeps duplicate keys (a dictionary would silently keep the last): detect them here.
            var seen = new HashSet<string>(StringComparer.Ordinal);
            try
            {
                foreach (var property in root.EnumerateObject())
                {
                    if (!seen.Add(property.Name))
                        throw Fail(source, $"duplicate name '{property.Name}' in the header");
                    if (property.Name == MetadataKey)
                        ReadMetadata(source, property.Value, metadata);
                    else
                        tensors.Add(ReadEntry(source, property.Name, property.Value, dataLength));
                }
            }
            catch (InvalidOperationException e)
            {
                // Valid JSON, but a string escape decodes to invalid UTF-16 (a lone surrogate such as \uD800).
                throw Fail(source, $"header holds a string that is not valid Unicode: {e.Message}", e);
            }

            CheckNoOverlap(source, tensors);
            return (tensors, metadata);
        }
        catch (InvalidOperationException e) // a name or value that is no valid Unicode text, e.g. the escape \uD800 alone
        {
            throw Fail(source, $"header holds a JSON string that is not valid Unicode: {e.Message}", e);
        }
    }

    private static void ReadMetadata(string source, JsonElement value, Dictionary<string, string> metadata)
    {
        if (value.ValueKind != JsonValueKind.Object)
            throw Fail(source, $"{MetadataKey} is a JSON {value.ValueKind}, expected an object of strings");
        foreach (var item in value.EnumerateObject())
        {
            if (item.Value.ValueKind != JsonValueKind.String)
                throw Fail(source, $"{MetadataKey} value for key '{item.Name}' is a JSON {item.Value.ValueKind}, expected a string");
            if (!metadata.TryAdd(item.Name, item.Value.GetString()!))
                throw Fail(source, $"duplicate {MetadataKey} key '{item.Name}'");
        }
    }

    private static SafeTensorInfo ReadEntry(string source, string name, JsonElement entry, long dataLength)
    {
        string what = $"tensor '{name}'";
        if (entry.ValueKind != JsonValueKind.Object)
            throw Fail(source, $"{what}: entry is a JSON {entry.ValueKind}, expected an object");

        JsonElement? dtypeElement = null, shapeElement = null, offsetsElement = null;
        var fields = new HashSet<string>(StringComparer.Ordinal);
        foreach (var field in entry.EnumerateObject())
        {
            if (!fields.Add(field.Name))
                throw Fail(source, $"{what}: duplicate field '{field.Name}'");
            // Unknown fields are ignored (forward compatibility).
            switch (field.Name)
            {
                case "dtype": dtypeElement = field.Value; break;
                case "shape": shapeElement = field.Value; break;
                case "data_offsets": offsetsElement = field.Value; break;
            }
        }

        // dtype
        if (dtypeElement is not { } dt)
            throw Fail(source, $"{what}: missing 'dtype'");
        if (dt.ValueKind != JsonValueKind.String)
            throw Fail(source, $"{what}: 'dtype' is a JSON {dt.ValueKind}, expected a string");
        string dtypeText = dt.GetString()!;
        if (!SafeTensorsDtypes.TryParse(dtypeText, out var dtype))
            throw Fail(source, $"{what}: unknown dtype '{dtypeText}'");

        // shape
        if (shapeElement is not { } sh)
            throw Fail(source, $"{what}: missing 'shape'");
        if (sh.ValueKind != JsonValueKind.Array)
            throw Fail(source, $"{what}: 'shape' is a JSON {sh.ValueKind}, expected an array of integers");
        var shape = new int[sh.GetArrayLength()];
        long count = 1;
        int i = 0;
        foreach (var d in sh.EnumerateArray())
        {
            if (d.ValueKind != JsonValueKind.Number || !d.TryGetInt64(out long dim))
                throw Fail(source, $"{what}: shape dimension {i} is not an integer ({d.GetRawText()})");
            if (dim < 0)
                throw Fail(source, $"{what}: negative dimension {dim} in shape");
            if (dim > int.MaxValue)
                throw Fail(source, $"{what}: dimension {dim} is too large");
            shape[i++] = (int)dim;
            try { count = checked(count * dim); }
            catch (OverflowException) { throw Fail(source, $"{what}: element count of shape {sh.GetRawText()} overflows"); }
        }
        long expectedBytes;
        try { expectedBytes = checked(count * dtype.ElementSize()); }
        catch (OverflowException) { throw Fail(source, $"{what}: byte size of shape {sh.GetRawText()} overflows"); }

        // data_offsets
        if (offsetsElement is not { } off)
            throw Fail(source, $"{what}: missing 'data_offsets'");
        if (off.ValueKind != JsonValueKind.Array || off.GetArrayLength() != 2)
            throw Fail(source, $"{what}: 'data_offsets' must be an array of two integers, got {off.GetRawText()}");
        if (!TryGetOffset(off[0], out long begin) || !TryGetOffset(off[1], out long end))
            throw Fail(source, $"{what}: 'data_offsets' must be two non-negative integers, got {off.GetRawText()}");
        if (begin > end)
            throw Fail(source, $"{what}: data_offsets begin {begin} > end {end}");
        if (end > dataLength)
            throw Fail(source, $"{what}: data_offsets end {end} is beyond the data section ({dataLength} bytes; file truncated?)");
        if (end - begin != expectedBytes)
            throw Fail(source, $"{what}: data_offsets span {end - begin} bytes but shape {SafeTensorInfo.FormatShape(shape)} of {dtype} needs {expectedBytes}");

        return new SafeTensorInfo(name, dtype, shape, count, begin, end);
    }

    private static bool TryGetOffset(JsonElement e, out long value)
    {
        value = 0;
        return e.ValueKind == JsonValueKind.Number && e.TryGetInt64(out value) && value >= 0;
    }

    /// <summary>Two tensors sharing bytes would alias each other: reject. Empty tensors occupy nothing.</summary>
    private static void CheckNoOverlap(string source, List<SafeTensorInfo> tensors)
    {
        var ranges = tensors.Where(t => t.ByteLength > 0).OrderBy(t => t.DataBegin).ToList();
        for (int i = 1; i < ranges.Count; i++)
        {
            var a = ranges[i - 1];
            var b = ranges[i];
            if (b.DataBegin < a.DataEnd)
                throw Fail(source, $"tensors '{a.Name}' [{a.DataBegin}, {a.DataEnd}) and '{b.Name}' [{b.DataBegin}, {b.DataEnd}) overlap");
        }
    }

    private static InvalidDataException Fail(string source, string message, Exception? inner = null) =>
        new($"{source}: {message}", inner);

    private InvalidDataException Fail(string message) => Fail(SourceName, message);

    // ---------------------------------------------------------------- readers

    /// <summary>The tensor as float32: F32 as stored; F64, F16 and BF16 converted.</summary>
    public float[] ReadFloat32(string name)
    {
        var info = this[name];
        var result = new float[info.ElementCount];
        CopyFloat32(info, result);
        return result;
    }

    /// <summary>
    /// Copies the tensor as float32 into <paramref name="destination"/> after checking its shape:
    /// <see cref="ArgumentException"/> if <paramref name="destination"/> does not hold
    /// <paramref name="expectedShape"/> exactly, <see cref="InvalidDataException"/> if the stored shape differs.
    /// </summary>
    public void ReadFloat32(string name, Span<float> destination, ReadOnlySpan<int> expectedShape)
    {
        long expectedCount = 1;
        foreach (int d in expectedShape)
        {
            if (d < 0) throw new ArgumentOutOfRangeException(nameof(expectedShape), $"negative dimension {d}");
            expectedCount *= d;
        }
        if (destination.Length != expectedCount)
            throw new ArgumentException(
                $"destination holds {destination.Length} floats but expected shape {SafeTensorInfo.FormatShape(expectedShape)} has {expectedCount}",
                nameof(destination));

        var info = this[name];
        if (!expectedShape.SequenceEqual(info.Shape))
            throw Fail($"tensor '{name}' has shape {info.ShapeText}, expected {SafeTensorInfo.FormatShape(expectedShape)}");
        CopyFloat32(info, destination);
    }

    /// <summary>The tensor as int64: I64 as stored, I32 widened.</summary>
    public long[] ReadInt64(string name)
    {
        var info = this[name];
        var src = Bytes(info);
        var result = new long[info.ElementCount];
        switch (info.Dtype)
        {
            case SafeTensorsDtype.I64:
                for (int i = 0; i < result.Length; i++) result[i] = BinaryPrimitives.ReadInt64LittleEndian(src[(8 * i)..]);
                break;
            case SafeTensorsDtype.I32:
                for (int i = 0; i < result.Length; i++) result[i] = BinaryPrimitives.ReadInt32LittleEndian(src[(4 * i)..]);
                break;
            default:
                throw Fail($"tensor '{name}' has dtype {info.Dtype}, expected I64 or I32");
        }
        return result;
    }

    /// <summary>The tensor (I64 or I32) as int32; <see cref="InvalidDataException"/> if a value does not fit.</summary>
    public int[] ReadInt32Checked(string name)
    {
        long[] wide = ReadInt64(name);
        var result = new int[wide.Length];
        for (int i = 0; i < wide.Length; i++)
        {
            if (wide[i] is < int.MinValue or > int.MaxValue)
                throw Fail($"tensor '{name}': element {i} = {wide[i]} does not fit in int32");
            result[i] = (int)wide[i];
        }
        return result;
    }

    /// <summary>The raw little-endian bytes of a tensor (a view into the file buffer).</summary>
    public ReadOnlySpan<byte> GetBytes(string name) => Bytes(this[name]);

    // Offsets were validated against the data section's length at parse time.
    private ReadOnlySpan<byte> Bytes(SafeTensorInfo info) =>
        _data.Span.Slice((int)info.DataBegin, (int)info.ByteLength);

    private void CopyFloat32(SafeTensorInfo info, Span<float> destination)
    {
        var src = Bytes(info);
        int n = destination.Length; // == info.ElementCount, checked by callers
        switch (info.Dtype)
        {
            case SafeTensorsDtype.F32:
                if (BitConverter.IsLittleEndian)
                    MemoryMarshal.Cast<byte, float>(src).CopyTo(destination);
                else
                    for (int i = 0; i < n; i++) destination[i] = BinaryPrimitives.ReadSingleLittleEndian(src[(4 * i)..]);
                break;
            case SafeTensorsDtype.F64:
                for (int i = 0; i < n; i++) destination[i] = (float)BinaryPrimitives.ReadDoubleLittleEndian(src[(8 * i)..]);
                break;
            case SafeTensorsDtype.F16:
                for (int i = 0; i < n; i++) destination[i] = (float)BinaryPrimitives.ReadHalfLittleEndian(src[(2 * i)..]);
                break;
            case SafeTensorsDtype.BF16:
                // bfloat16 is the upper half of a float32.
                for (int i = 0; i < n; i++)
                    destination[i] = BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(src[(2 * i)..]) << 16);
                break;
            default:
                throw Fail($"tensor '{info.Name}' has dtype {info.Dtype}, expected a floating-point dtype (F32, F64, F16, BF16)");
        }
    }
}
