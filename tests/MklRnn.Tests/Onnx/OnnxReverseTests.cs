using Google.Protobuf;
using MklRnn.Layers;
using MklRnn.Onnx;
using MklRnn.Onnx.Proto;

namespace MklRnn.Tests.Onnx;

/// <summary>
/// ONNX direction 'reverse' (every layer): imported as a time-reversed model whose Forward reverses each
/// sequence within its length; ONNX Runtime runs the same graph; outputs and final states agree within 1e-5.
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

    [Fact]
    public void Reverse_under_forward_layers_is_refused()
    {
        ModelProto proto;
        using (var forward = new OnnxRecurrentModel(new RecurrentStack(new RnnConfig(CellKind.Lstm, 3, 4, 2), seed: 1)))
            proto = OnnxExporter.Export(forward);
        proto.Graph.Node.First(n => n.OpType == "LSTM").Attribute.Single(a => a.Name == "direction").S = ByteString.CopyFromUtf8("reverse");
        var e = Assert.Throws<OnnxFormatException>(() => OnnxImporter.Import(proto).Dispose());
        Assert.Contains("differs from the first layer", e.Message);
    }
}
