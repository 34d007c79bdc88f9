using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Google.Protobuf;
using MklRnn.Onnx.Proto;

namespace MklRnn.Onnx;

/// <summary>
/// TensorProto values to and from arrays, checking every declared size against the bytes that are
/// actually there (inline fields, raw_data, or an external data file inside the model's folder)
/// before allocating, so a hostile dimension cannot cause a giant allocation.
/// </summary>
public static class OnnxTensors
{
    /// <summary>Element count of the dims; throws for negative dims or a count beyond int range.</summary>
    public static int ElementCount(TensorProto t)
    {
        long count = 1;
        foreach (long d in t.Dims)
        {
            if (d < 0) throw new OnnxFormatException($"tensor '{t.Name}': negative dimension {d}");
            count *= d;
            if (count > int.MaxValue) throw new OnnxFormatException($"tensor '{t.Name}': dims [{string.Join(", ", t.Dims)}] exceed {int.MaxValue} elements");
        }
        return (int)count;
    }

    /// <summary>A FLOAT tensor's values. modelFolder resolves external data (null: external data is refused).</summary>
    public static float[] ReadFloat(TensorProto t, string? modelFolder)
    {
        RequireType(t, TensorProto.Types.DataType.Float);
        int count = ElementCount(t);
        if (t.FloatData.Count > 0)
        {
            RequireCount(t, t.FloatData.Count, count, "float_data");
            return t.FloatData.ToArray();
        }
        byte[] raw = RawBytes(t, (long)count * 4, modelFolder);
        return MemoryMarshal.Cast<byte, float>(raw).ToArray(); // little-endian on every platform .NET runs this on
    }

    /// <summary>An INT64 or INT32 tensor's values as long.</summary>
    public static long[] ReadInt64(TensorProto t, string? modelFolder)
    {
        int count = ElementCount(t);
        switch ((TensorProto.Types.DataType)t.DataType)
        {
            case TensorProto.Types.DataType.Int64:
                if (t.Int64Data.Count > 0) { RequireCount(t, t.Int64Data.Count, count, "int64_data"); return t.Int64Data.ToArray(); }
                return MemoryMarshal.Cast<byte, long>(RawBytes(t, (long)count * 8, modelFolder)).ToArray();
            case TensorProto.Types.DataType.Int32:
                if (t.Int32Data.Count > 0) { RequireCount(t, t.Int32Data.Count, count, "int32_data"); return t.Int32Data.Select(v => (long)v).ToArray(); }
                byte[] raw = RawBytes(t, (long)count * 4, modelFolder);
                var result = new long[count];
                for (int i = 0; i < count; i++) result[i] = BinaryPrimitives.ReadInt32LittleEndian(raw.AsSpan(i * 4));
                return result;
            default:
                throw new OnnxFormatException($"tensor '{t.Name}': data type {TypeName(t.DataType)}, expected INT64 or INT32");
        }
    }

    /// <summary>A FLOAT initializer with raw little-endian data.</summary>
    public static TensorProto Float(string name, ReadOnlySpan<float> values, params long[] dims)
    {
        var t = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float };
        t.Dims.AddRange(dims);
        t.RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(values));
        return t;
    }

    /// <summary>An INT64 initializer (shapes, axes, perms).</summary>
    public static TensorProto Int64(string name, long[] values, params long[] dims)
    {
        var t = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Int64 };
        t.Dims.AddRange(dims);
        t.Int64Data.AddRange(values);
        return t;
    }

    private static void RequireType(TensorProto t, TensorProto.Types.DataType expected)
    {
        if (t.DataType != (int)expected)
            throw new OnnxFormatException($"tensor '{t.Name}': data type {TypeName(t.DataType)}, expected {expected.ToString().ToUpperInvariant()}");
    }

    private static string TypeName(int type) =>
        Enum.IsDefined(typeof(TensorProto.Types.DataType), type) ? ((TensorProto.Types.DataType)type).ToString().ToUpperInvariant() : $"#{type}";

    private static void RequireCount(TensorProto t, int have, int expected, string field)
    {
        if (have != expected)
            throw new OnnxFormatException($"tensor '{t.Name}': {field} holds {have} values, dims [{string.Join(", ", t.Dims)}] need {expected}");
    }

    private static byte[] RawBytes(TensorProto t, long expectedBytes, string? modelFolder)
    {
        if (t.DataLocation == TensorProto.Types.DataLocation.External) return ExternalBytes(t, expectedBytes, modelFolder);
        if (t.RawData.Length != expectedBytes)
            throw new OnnxFormatException($"tensor '{t.Name}': raw_data has {t.RawData.Length} bytes, dims [{string.Join(", ", t.Dims)}] need {expectedBytes}");
        return t.RawData.ToByteArray();
    }

    /// <summary>External data: 'location' relative to the model's folder and staying inside it; offset and
    /// length checked against the file's size before anything is read.</summary>
    private static byte[] ExternalBytes(TensorProto t, long expectedBytes, string? modelFolder)
    {
        var entries = t.ExternalData.ToDictionary(e => e.Key, e => e.Value);
        if (modelFolder == null) throw new OnnxFormatException($"tensor '{t.Name}': external data needs the model's file path");
        if (!entries.TryGetValue("location", out string? location) || string.IsNullOrEmpty(location))
            throw new OnnxFormatException($"tensor '{t.Name}': external data without a 'location'");
        string folder = Path.GetFullPath(modelFolder);
        string full = Path.GetFullPath(Path.Combine(folder, location));
        if (Path.IsPathRooted(location) || !full.StartsWith(folder.TrimEnd(Path.DirectorySeparatorChar) + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            throw new OnnxFormatException($"tensor '{t.Name}': external data location '{location}' leaves the model's folder");
        var info = new FileInfo(full);
        if (info.LinkTarget != null) throw new OnnxFormatException($"tensor '{t.Name}': external data location '{location}' is a symbolic link");
        if (!info.Exists) throw new OnnxFormatException($"tensor '{t.Name}': external data file '{location}' is missing");
        long offset = ParseLong(t, entries, "offset", 0);
        long length = ParseLong(t, entries, "length", expectedBytes);
        if (length != expectedBytes)
            throw new OnnxFormatException($"tensor '{t.Name}': external data length {length}, dims [{string.Join(", ", t.Dims)}] need {expectedBytes} bytes");
        if (offset + length > info.Length)
            throw new OnnxFormatException($"tensor '{t.Name}': external data [{offset}, {offset + length}) is beyond the end of '{location}' ({info.Length} bytes)");
        var bytes = new byte[length];
        using var stream = new FileStream(full, FileMode.Open, FileAccess.Read, FileShare.Read);
        stream.Position = offset;
        stream.ReadExactly(bytes);
        return bytes;
    }

    private static long ParseLong(TensorProto t, Dictionary<string, string> entries, string key, long fallback)
    {
        if (!entries.TryGetValue(key, out string? text)) return fallback;
        return long.TryParse(text, out long v) && v >= 0 ? v
            : throw new OnnxFormatException($"tensor '{t.Name}': external data {key} '{text}' is not a non-negative integer");
    }
}
