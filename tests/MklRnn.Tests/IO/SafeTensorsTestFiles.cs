using System.Buffers.Binary;
using System.Text;
using MklRnn.IO;

namespace MklRnn.Tests.IO;

/// <summary>Small valid files and helpers to rebuild a file around an edited header.</summary>
internal static class SafeTensorsTestFiles
{
    /// <summary>
    /// Header (before padding):
    /// {"__metadata__":{"kind":"test"},"a":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]},"b":{"dtype":"I64","shape":[4],"data_offsets":[24,56]}}
    /// </summary>
    public static byte[] Small()
    {
        var w = new SafeTensorsWriter();
        w.SetMetadata("kind", "test");
        w.Add("a", [2, 3], [1f, 2f, 3f, 4f, 5f, 6f]);
        w.AddInt64("b", [4], [10L, -20L, 30L, long.MaxValue]);
        return w.ToBytes();
    }

    public static string Header(byte[] file)
    {
        int length = checked((int)BinaryPrimitives.ReadUInt64LittleEndian(file));
        return Encoding.UTF8.GetString(file, 8, length).TrimEnd(' ');
    }

    public static byte[] Data(byte[] file)
    {
        int length = checked((int)BinaryPrimitives.ReadUInt64LittleEndian(file));
        return file[(8 + length)..];
    }

    /// <summary>A file from a header text and data bytes (header space-padded to a multiple of 8).</summary>
    public static byte[] Build(string header, ReadOnlySpan<byte> data) => Build(Encoding.UTF8.GetBytes(header), data);

    public static byte[] Build(byte[] header, ReadOnlySpan<byte> data)
    {
        int padded = (header.Length + 7) / 8 * 8;
        var file = new byte[8 + padded + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(file, (ulong)padded);
        header.CopyTo(file, 8);
        file.AsSpan(8 + header.Length, padded - header.Length).Fill((byte)' ');
        data.CopyTo(file.AsSpan(8 + padded));
        return file;
    }

    /// <summary>The file with one exact substring of its header replaced (which must be present).</summary>
    public static byte[] EditHeader(byte[] file, string find, string replace)
    {
        string header = Header(file);
        Assert.Contains(find, header);
        return Build(header.Replace(find, replace), Data(file));
    }
}
