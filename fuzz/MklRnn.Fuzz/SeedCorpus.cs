using System.Buffers.Binary;
using System.Text;
using MklRnn.CharLm;
using MklRnn.IO;
using MklRnn.Layers;
using MklRnn.Onnx;
using MklRnn.Seq2Seq;

namespace MklRnn.Fuzz;

/// <summary>
/// Writes the seed corpus (fuzz/corpus, committed): small valid files of every format the loaders read,
/// made by the library itself, plus the hostile files of issue 11. `mklrnn-fuzz --write-seeds DIR`.
/// </summary>
internal static class SeedCorpus
{
    public static void Write(string dir)
    {
        Directory.CreateDirectory(dir);
        SaveStack(Path.Combine(dir, "stack_lstm_proj_bi.safetensors"), new RnnConfig(CellKind.Lstm, 3, 4, 1, bidirectional: true) { ProjSize = 2 });
        SaveStack(Path.Combine(dir, "stack_gru_2l_original.safetensors"), new RnnConfig(CellKind.Gru, 2, 3, 2) { LinearBeforeReset = false });
        SaveStack(Path.Combine(dir, "stack_lstm_peephole.safetensors"), new RnnConfig(CellKind.Lstm, 2, 2) { Peephole = true });

        // A PyTorch-style state_dict: no metadata, the stack under "rnn.", another module beside it.
        using (var rnn = new RecurrentStack(new RnnConfig(CellKind.Lstm, 3, 4) { ProjSize = 2 }, seed: 2, namePrefix: "rnn."))
        {
            var writer = new SafeTensorsWriter();
            StateDict.Write(writer, rnn);
            writer.Add("head.weight", [2, 2], [1f, 0f, 0f, 1f]);
            writer.Save(Path.Combine(dir, "state_dict_lstm_proj.safetensors"));
        }

        using (var model = new Seq2SeqModel(new Seq2SeqConfig
               {
                   Cell = CellKind.Gru, SourceVocabularySize = 5, TargetVocabularySize = 5, EmbeddingSize = 2, HiddenSize = 3, BosId = 0, EosId = 1,
               }))
            model.Save(Path.Combine(dir, "seq2seq_gru.safetensors"));

        using (var charLm = new CharLmModel(new CharLmSpec(CellKind.Lstm, 4, 3, 4, 2), seed: 3))
        {
            var writer = new SafeTensorsWriter();
            CharLmFile.Add(writer, charLm, new Vocabulary(["a", "b", " ", "\n"]));
            writer.Save(Path.Combine(dir, "charlm_lstm_2l.safetensors"));
        }

        // ONNX: a 2-layer bidirectional LSTM with sequence lengths and initial states as graph inputs.
        using (var onnx = new OnnxRecurrentModel(new RecurrentStack(new RnnConfig(CellKind.Lstm, 3, 4, 2, bidirectional: true), seed: 4)))
            OnnxExporter.Save(onnx, Path.Combine(dir, "onnx_lstm_bi_2l.onnx"), new OnnxExportOptions { WithLengths = true, WithInitialStates = true });

        // Issue 11 item 6: a lone surrogate escape in the header (threw InvalidOperationException).
        File.WriteAllBytes(Path.Combine(dir, "hostile_lone_surrogate.safetensors"), Framed("{\"\\ud800\":{}}"));
        // Issue 11 item 5: metadata claiming 100,000 layers over a 1-layer file's tensors.
        SafeTensorsFile lstm = SafeTensorsFile.Read(Path.Combine(dir, "stack_lstm_peephole.safetensors"));
        var lying = new SafeTensorsWriter();
        foreach (var (k, v) in lstm.Metadata) lying.SetMetadata(k, k == "num_layers" ? "100000" : v);
        foreach (SafeTensorInfo t in lstm.Tensors) lying.Add(t.Name, t.Shape, lstm.ReadFloat32(t.Name));
        lying.Save(Path.Combine(dir, "hostile_100000_layers.safetensors"));
    }

    private static void SaveStack(string path, RnnConfig config)
    {
        using var stack = new RecurrentStack(config, seed: 1);
        stack.Save(path);
    }

    /// <summary>A file of just a header: 8-byte little-endian length, then the JSON.</summary>
    private static byte[] Framed(string json)
    {
        byte[] header = Encoding.UTF8.GetBytes(json);
        byte[] bytes = new byte[8 + header.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)header.Length);
        header.CopyTo(bytes, 8);
        return bytes;
    }
}
