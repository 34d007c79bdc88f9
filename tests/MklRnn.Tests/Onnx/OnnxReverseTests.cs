using System.Text;
using Google.Protobuf;
using MklRnn.Layers;
using MklRnn.Onnx;
using MklRnn.Onnx.Proto;

namespace MklRnn.Tests.Onnx;

/// <summary>
/// ONNX direction 'reverse', on every layer (a time-reversed model whose Forward reverses each sequence within its
/// length) or on some (run one layer at a time); ONNX Runtime runs the same graph; outputs and final states agree within 1e-5.
/// </summary>
public class OnnxReverseTests
{
    [Theory]
    [InlineData(CellKind.Lstm, 2, false, false)]
    [InlineData(CellKind.Gru, 1, true, true)]
    [InlineData(CellKind.RnnTanh, 2, false, true)]
    public void Reverse_layers_run_like_ort(CellKind cell, int layers, bool batchFirst, bool variableLengths)
    {
        const int T = 5, N = 3, I = 4, H = 6;
        var config = new RnnConfig(cell, I, H, layers) { BatchFirst = batchFirst };
        ModelProto proto;
        using (var forward = new OnnxRecurrentModel(new RecurrentStack(config, seed: 3)))
            proto = OnnxExporter.Export(forward, new OnnxExportOptions { WithLengths = variableLengths });
        foreach (NodeProto node in proto.Graph.Node.Where(n => n.OpType is "LSTM" or "GRU" or "RNN"))
            node.Attribute.Single(a => a.Name == "direction").S = ByteString.CopyFromUtf8("reverse");

        using OnnxRecurrentModel model = OnnxImporter.Import(proto);
        Assert.True(model.TimeReversed);
        var random = new Random(5);
        float[] input = Enumerable.Range(0, T * N * I).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
        int[] lengths = variableLengths ? [2, 5, 4] : [];
        var output = new float[T * N * H];
        var hN = new float[layers * N * H];
        model.Forward(input, T, N, output, hN: hN, lengths: lengths);

        var feeds = new List<(string, object, int[])> { ("input", input, batchFirst ? [N, T, I] : [T, N, I]) };
        if (variableLengths) feeds.Add(("lengths", lengths, [N]));
        var ort = OrtSession.Run(proto.ToByteArray(), feeds.ToArray());
        Assert.True(OrtSession.MaxAbsDifference(output, ort["output"]) <= 1e-5f, "output differs");
        Assert.True(OrtSession.MaxAbsDifference(hN, ort["h_n"]) <= 1e-5f, "h_n differs");
    }

    /// <summary>Layers given as 'f' (forward) and 'r' (reverse): run one at a time (LayerwiseRun), with initial states sliced per layer.</summary>
    [Theory]
    [InlineData(CellKind.Lstm, "fr", false)]
    [InlineData(CellKind.Gru, "rfr", true)]
    [InlineData(CellKind.RnnTanh, "rf", true)]
    public void Layers_of_mixed_directions_run_like_ort(CellKind cell, string directions, bool variableLengths)
    {
        const int T = 5, N = 3, I = 4, H = 6;
        int L = directions.Length;
        ModelProto proto;
        using (var forward = new OnnxRecurrentModel(new RecurrentStack(new RnnConfig(cell, I, H, L), seed: 4)))
            proto = OnnxExporter.Export(forward, new OnnxExportOptions { WithLengths = variableLengths, WithInitialStates = true });
        NodeProto[] nodes = proto.Graph.Node.Where(n => n.OpType is "LSTM" or "GRU" or "RNN").ToArray();
        for (int l = 0; l < L; l++)
            nodes[l].Attribute.Single(a => a.Name == "direction").S = ByteString.CopyFromUtf8(directions[l] == 'r' ? "reverse" : "forward");

        using OnnxRecurrentModel model = OnnxImporter.Import(proto);
        Assert.Equal(directions.Select(d => d == 'r'), model.LayerReversed!);
        var random = new Random(6);
        float[] Random(int n) => Enumerable.Range(0, n).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
        float[] input = Random(T * N * I), h0 = Random(L * N * H), c0 = Random(L * N * H);
        int[] lengths = variableLengths ? [3, 5, 1] : [];
        var output = new float[T * N * H];
        var hN = new float[L * N * H];
        var cN = new float[L * N * H];
        bool lstm = cell == CellKind.Lstm;
        model.Forward(input, T, N, output, h0, lstm ? c0 : default, hN, lstm ? cN : default, lengths);

        var feeds = new List<(string, object, int[])> { ("input", input, [T, N, I]), ("h0", h0, [L, N, H]) };
        if (lstm) feeds.Add(("c0", c0, [L, N, H]));
        if (variableLengths) feeds.Add(("lengths", lengths, [N]));
        var ort = OrtSession.Run(proto.ToByteArray(), feeds.ToArray());
        Assert.True(OrtSession.MaxAbsDifference(output, ort["output"]) <= 1e-5f, "output differs");
        Assert.True(OrtSession.MaxAbsDifference(hN, ort["h_n"]) <= 1e-5f, "h_n differs");
        if (lstm) Assert.True(OrtSession.MaxAbsDifference(cN, ort["c_n"]) <= 1e-5f, "c_n differs");

        // Export writes each layer's direction back.
        string[] exported = OnnxExporter.Export(model).Graph.Node.Where(n => n.OpType is "LSTM" or "GRU" or "RNN")
            .Select(n => n.Attribute.Single(a => a.Name == "direction").S.ToStringUtf8()).ToArray();
        Assert.Equal(directions.Select(d => d == 'r' ? "reverse" : "forward"), exported);
    }

    [Fact]
    public void Reverse_under_bidirectional_layers_is_refused()
    {
        ModelProto proto;
        using (var forward = new OnnxRecurrentModel(new RecurrentStack(new RnnConfig(CellKind.Lstm, 3, 4, 2, bidirectional: true), seed: 1)))
            proto = OnnxExporter.Export(forward);
        NodeProto second = proto.Graph.Node.Where(n => n.OpType == "LSTM").ElementAt(1);
        second.Attribute.Single(a => a.Name == "direction").S = ByteString.CopyFromUtf8("reverse");
        var e = Assert.Throws<OnnxFormatException>(() => OnnxImporter.Import(proto).Dispose());
        Assert.Contains($"node '{second.Name}' (LSTM):", e.Message);
        Assert.Contains("differs from the first layer's", e.Message);
    }
}
