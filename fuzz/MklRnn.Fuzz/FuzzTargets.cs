using MklRnn.CharLm;
using MklRnn.IO;
using MklRnn.Layers;
using MklRnn.Onnx;
using MklRnn.Seq2Seq;

namespace MklRnn.Fuzz;

/// <summary>Every fuzzed loader. Adding one is one line here (the seed corpus in fuzz/corpus serves all).</summary>
internal static class FuzzTargets
{
    public static readonly FuzzTarget[] All =
    [
        new("safetensors", (bytes, _) => ReadEverything(SafeTensorsFile.Parse(bytes, "fuzz")), typeof(InvalidDataException)),
        new("stack-load", (_, path) => RecurrentStack.Load(path).Dispose(), typeof(InvalidDataException)),
        new("stack-state-dict", (_, path) => RecurrentStack.FromStateDict(path, "rnn.").Dispose(), typeof(InvalidDataException)),
        new("stack-load-weights", (_, path) => LoadWeights(path), typeof(InvalidDataException)),
        new("seq2seq-load", (_, path) => Seq2SeqModel.Load(path).Dispose(), typeof(InvalidDataException)),
        new("charlm-load", (_, path) => CharLmFile.Load(path).Model.Dispose(), typeof(CharLmException)),
        new("onnx-load", (_, path) => OnnxImporter.Load(path).Dispose(), typeof(OnnxFormatException)),
    ];

    /// <summary>Every tensor through every reader that accepts its dtype: the readers must hold on any header that parsed.</summary>
    private static void ReadEverything(SafeTensorsFile file)
    {
        foreach (SafeTensorInfo t in file.Tensors)
        {
            _ = file.GetBytes(t.Name).Length;
            if (t.Dtype is SafeTensorsDtype.F32 or SafeTensorsDtype.F64 or SafeTensorsDtype.F16 or SafeTensorsDtype.BF16) _ = file.ReadFloat32(t.Name);
            if (t.Dtype is SafeTensorsDtype.I64 or SafeTensorsDtype.I32) _ = file.ReadInt64(t.Name);
        }
    }

    /// <summary>A fixed small stack loading whatever the file offers (strict, then partial).</summary>
    private static void LoadWeights(string path)
    {
        using var stack = new RecurrentStack(new RnnConfig(CellKind.Lstm, 3, 4) { ProjSize = 2 });
        try
        {
            stack.LoadWeights(path, "rnn.");
        }
        catch (InvalidDataException)
        {
            stack.LoadWeights(path, "rnn.", strict: false);
        }
    }
}
