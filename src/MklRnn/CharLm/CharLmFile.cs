using System.Globalization;
using MklRnn.IO;

namespace MklRnn.CharLm;

/// <summary>
/// The model file (format mklrnn.charlm.v1): safetensors with PyTorch module names -- embedding.weight (V, E),
/// rnn.weight_ih_l0 ... (torch.nn.LSTM/GRU/RNN names), head.weight (V, H), head.bias (V) -- and metadata
/// format, cell, vocab (JSON array of one-character strings in id order), embedding_size, hidden_size,
/// num_layers. Tensors and metadata the model does not use (a checkpoint's optimizer state) are ignored.
/// </summary>
public static class CharLmFile
{
    public const string Format = "mklrnn.charlm.v1";
    public const string RnnPrefix = "rnn.";

    /// <summary>Adds the model's tensors and metadata to a writer.</summary>
    public static void Add(SafeTensorsWriter writer, CharLmModel model, Vocabulary vocabulary)
    {
        CharLmSpec spec = model.Spec;
        writer.SetMetadata("format", Format);
        writer.SetMetadata("cell", spec.CellName);
        writer.SetMetadata("vocab", vocabulary.ToJson());
        writer.SetMetadata("embedding_size", Int(spec.EmbeddingSize));
        writer.SetMetadata("hidden_size", Int(spec.HiddenSize));
        writer.SetMetadata("num_layers", Int(spec.NumLayers));
        writer.SetMetadata("dropout", spec.Dropout.ToString("R", CultureInfo.InvariantCulture)); // informational
        StateDict.Write(writer, model.Embedding);
        StateDict.Write(writer, model.Rnn, RnnPrefix);
        StateDict.Write(writer, model.Head);
    }

    /// <summary>Reads a safetensors file; a missing or unreadable file is a CharLmException.</summary>
    public static SafeTensorsFile Open(string path)
    {
        if (!File.Exists(path)) throw new CharLmException($"checkpoint not found: {path}");
        try
        {
            return SafeTensorsFile.Read(path);
        }
        catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException)
        {
            throw new CharLmException($"cannot read checkpoint {path} (corrupt or not a safetensors file): {e.Message}", e);
        }
    }

    /// <summary>The model and vocabulary a file describes (dropout is a training setting, not stored in the model); any mismatch is a CharLmException naming what is wrong.</summary>
    public static (CharLmModel Model, Vocabulary Vocabulary) Load(SafeTensorsFile file, float dropout = 0f)
    {
        var meta = file.Metadata;
        string source = file.SourceName;
        string Get(string key) => meta.TryGetValue(key, out string? v) ? v
            : throw new CharLmException($"{source}: metadata '{key}' is missing (not a {Format} model file?)");
        int Positive(string key) => int.TryParse(Get(key), NumberStyles.Integer, CultureInfo.InvariantCulture, out int v) && v > 0 ? v
            : throw new CharLmException($"{source}: metadata '{key}' = '{Get(key)}' is not a positive integer");

        string format = meta.TryGetValue("format", out string? f) ? f : "(missing)";
        if (format != Format) throw new CharLmException($"{source}: not a character LM model file (metadata 'format' is '{format}', expected '{Format}')");
        CellKind cell = CellKindNames.Parse(Get("cell")) is CellKind k && Get("cell") == k.ModeName() ? k
            : throw new CharLmException($"{source}: metadata 'cell' = '{Get("cell")}' is not LSTM, GRU, RNN_TANH or RNN_RELU");
        Vocabulary vocabulary = Vocabulary.FromJson(Get("vocab"), source);
        var spec = new CharLmSpec(cell, vocabulary.Count, Positive("embedding_size"), Positive("hidden_size"), Positive("num_layers"), dropout);
        var model = new CharLmModel(spec, seed: 0);
        try
        {
            StateDict.Read(file, model.Embedding);
            StateDict.Read(file, model.Rnn, RnnPrefix);
            StateDict.Read(file, model.Head);
        }
        catch (InvalidDataException e)
        {
            model.Dispose();
            throw new CharLmException($"the checkpoint's tensors do not fit its architecture ({spec}): {e.Message}", e);
        }
        return (model, vocabulary);
    }

    /// <summary>Opens and loads a model file (or a checkpoint, whose extra tensors are ignored).</summary>
    public static (CharLmModel Model, Vocabulary Vocabulary) Load(string path) => Load(Open(path));

    private static string Int(int v) => v.ToString(CultureInfo.InvariantCulture);
}
