using Google.Protobuf;
using MklRnn.IO;
using MklRnn.Onnx.Proto;

namespace MklRnn.Onnx;

/// <summary>Reading and writing ModelProto files: size-checked parsing, atomic writes.</summary>
public static class OnnxFile
{
    /// <summary>Protobuf messages cannot exceed 2 GiB; larger weights must live in external data files.</summary>
    public const long MaxModelBytes = int.MaxValue;

    /// <summary>Parses a model. Truncated or malformed files raise an <see cref="OnnxFormatException"/> naming the file.</summary>
    public static ModelProto Read(string path)
    {
        var info = new FileInfo(path);
        if (!info.Exists) throw new FileNotFoundException($"{path}: no such file", path);
        if (info.Length > MaxModelBytes)
            throw new OnnxFormatException($"{path}: {info.Length} bytes, more than a protobuf message can hold (2 GiB); keep weights as external data");
        return Parse(File.ReadAllBytes(path), path);
    }

    /// <summary>Parses model bytes. Google.Protobuf checks every length prefix against the bytes left,
    /// so a hostile length cannot trigger a large allocation.</summary>
    public static ModelProto Parse(byte[] bytes, string sourceName)
    {
        try
        {
            ModelProto model = ModelProto.Parser.ParseFrom(bytes);
            if (model.Graph == null) throw new OnnxFormatException($"{sourceName}: not an ONNX model (no graph)");
            return model;
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new OnnxFormatException($"{sourceName}: not a readable ONNX model (truncated or corrupt protobuf: {e.Message})", e);
        }
    }

    /// <summary>Writes a model atomically (a failed write leaves an existing file untouched).</summary>
    public static void Write(ModelProto model, string path) => AtomicFile.Write(path, stream => model.WriteTo(stream));
}
