using MklRnn.CharLm;
using MklRnn.Onnx.Proto;

namespace MklRnn.Onnx;

/// <summary>
/// A character LM (embedding, stack, head) as ONNX: input ids 'input' (T, N) int64, outputs 'logits'
/// (T, N, V), 'h_n' (and 'c_n'). The vocabulary travels in metadata_props 'mklrnn.charlm.vocab' (the
/// model file's JSON), so ids can be decoded; the head's dropout is a training setting and not exported.
/// </summary>
public static class CharLmOnnx
{
    public const string VocabularyKey = OnnxExporter.MetadataPrefix + "charlm.vocab";

    public static ModelProto Export(CharLmModel model, Vocabulary vocabulary, OnnxExportOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(vocabulary);
        using var view = new OnnxRecurrentModel(model.Rnn, model.Embedding, model.Head, ownsModules: false);
        ModelProto result = OnnxExporter.Export(view, options);
        result.MetadataProps.Add(new StringStringEntryProto { Key = VocabularyKey, Value = vocabulary.ToJson() });
        return result;
    }
}
