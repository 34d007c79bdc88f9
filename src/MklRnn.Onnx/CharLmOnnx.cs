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

    /// <summary>
    /// The char LM an ONNX model describes, when it carries the vocabulary (as <see cref="Export"/> writes it) and
    /// has the char LM's structure (embedding, forward time-major stack without peepholes, head without softmax);
    /// null when it carries no vocabulary. The result owns its modules.
    /// </summary>
    public static (CharLmModel Model, Vocabulary Vocabulary)? FromOnnx(ModelProto proto, OnnxRecurrentModel model, string source)
    {
        StringStringEntryProto? entry = proto.MetadataProps.FirstOrDefault(p => p.Key == VocabularyKey);
        if (entry == null) return null;
        Vocabulary vocabulary = Vocabulary.FromJson(entry.Value, source);
        RnnConfig c = model.Stack.Config;
        if (model.Embedding == null || model.Head == null || model.Activation != OutputActivation.None || c.Bidirectional
            || c.BatchFirst || c.Peephole || !c.LinearBeforeReset || model.HasReversedLayers || model.HeadInput != HeadInput.Sequence || model.Head.VocabularySize != vocabulary.Count)
            throw new OnnxFormatException($"{source}: has a char-LM vocabulary but not a char LM's structure (embedding, forward stack, head over {vocabulary.Count} symbols)");
        var charLm = new CharLmModel(new CharLmSpec(c.Cell, vocabulary.Count, c.InputSize, c.HiddenSize, c.NumLayers), seed: 0);
        model.Embedding.Weight.Values.CopyTo(charLm.Embedding.Weight.Data);
        for (int p = 0; p < model.Stack.Parameters.Count; p++) model.Stack.Parameters[p].Values.CopyTo(charLm.Rnn.Parameters[p].Data);
        model.Head.Weight.Values.CopyTo(charLm.Head.Weight.Data);
        model.Head.Bias.Values.CopyTo(charLm.Head.Bias.Data);
        return (charLm, vocabulary);
    }
}
