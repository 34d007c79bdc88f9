using System.CommandLine;
using MklRnn.CharLm;
using MklRnn.Cli.CharLm;
using MklRnn.IO;
using MklRnn.Layers;
using MklRnn.Onnx;
using MklRnn.Onnx.Proto;

namespace MklRnn.Cli;

/// <summary>
/// <c>mklrnn convert --from A --to B</c>: a recurrent stack between .safetensors (PyTorch names, the metadata
/// RecurrentStack.Save writes) and .onnx, and char-LM model files or checkpoints (mklrnn.charlm.v1) to .onnx and back.
/// </summary>
internal static class ConvertVerb
{
    public static Command Create()
    {
        var from = new Option<string>("--from") { Description = "Source model: .onnx, .safetensors (a stack) or a char-LM model/checkpoint", Required = true };
        var to = new Option<string>("--to") { Description = "Destination: .onnx or .safetensors (written atomically)", Required = true };
        var lengths = new Option<bool>("--lengths") { Description = "ONNX export: add a 'lengths' (N, int32) input for variable-length batches" };
        var states = new Option<bool>("--initial-states") { Description = "ONNX export: add 'h0' (and 'c0') inputs" };
        var command = new Command("convert", "Convert a recurrent model between .safetensors and .onnx (char-LM model files too).") { from, to, lengths, states };
        command.SetAction(parse =>
        {
            TextWriter output = parse.InvocationConfiguration.Output;
            var options = new OnnxExportOptions { WithLengths = parse.GetValue(lengths), WithInitialStates = parse.GetValue(states) };
            string description = Run(parse.GetValue(from)!, parse.GetValue(to)!, options);
            output.WriteLine($"wrote {parse.GetValue(to)} ({description})");
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>Converts; returns a one-line description of what was written.</summary>
    public static string Run(string from, string to, OnnxExportOptions options)
    {
        bool toOnnx = Kind(to, "--to");
        if (!Kind(from, "--from"))
        {
            SafeTensorsFile file = CharLmFile.Open(from);
            if (file.Metadata.TryGetValue("format", out string? format) && format == CharLmFile.Format)
            {
                if (!toOnnx) throw new CharLmException($"{from} is a char-LM model: it converts to .onnx only");
                var (charLm, vocabulary) = CharLmFile.Load(file);
                using (charLm)
                {
                    OnnxFile.Write(CharLmOnnx.Export(charLm, vocabulary, options), to);
                    return $"char LM, {charLm.Rnn.Config.ModeName}, vocabulary {vocabulary.Count}";
                }
            }
            using var stack = RecurrentStack.Load(from);
            return Write(new OnnxRecurrentModel(stack, ownsModules: false), to, toOnnx, options);
        }
        ModelProto proto = OnnxFile.Read(from);
        using OnnxRecurrentModel model = OnnxImporter.Import(proto, Path.GetDirectoryName(Path.GetFullPath(from)), from);
        if (!toOnnx && CharLmOnnx.FromOnnx(proto, model, from) is var (lm, lmVocabulary))
        {
            using (lm)
            {
                var writer = new SafeTensorsWriter();
                CharLmFile.Add(writer, lm, lmVocabulary);
                writer.Save(to);
                return $"char LM, {lm.Rnn.Config.ModeName}, vocabulary {lmVocabulary.Count}";
            }
        }
        return Write(model, to, toOnnx, options);
    }

    private static string Write(OnnxRecurrentModel model, string to, bool toOnnx, OnnxExportOptions options)
    {
        RnnConfig c = model.Stack.Config;
        if (toOnnx) OnnxExporter.Save(model, to, options);
        else if (model.Embedding != null || model.Head != null)
            throw new InvalidDataException("the ONNX model has an embedding or a head; only a bare recurrent stack converts to .safetensors");
        else if (model.HasReversedLayers)
            throw new InvalidDataException("the ONNX model's layers have direction 'reverse', which a .safetensors stack (PyTorch's layout) cannot express; run it from the .onnx file");
        else model.Stack.Save(to);
        return $"{c.ModeName}, {c.NumLayers} layer(s), {(c.Bidirectional ? "bidirectional" : "forward")}, input {c.InputSize}, hidden {c.HiddenSize}";
    }

    /// <summary>true for .onnx, false for .safetensors; anything else is refused.</summary>
    private static bool Kind(string path, string option) => Path.GetExtension(path).ToLowerInvariant() switch
    {
        ".onnx" => true,
        ".safetensors" => false,
        string e => throw new InvalidDataException($"{option} {path}: extension '{e}', expected .onnx or .safetensors"),
    };
}
