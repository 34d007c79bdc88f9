using Google.Protobuf;
using MklRnn.Onnx;
using MklRnn.Onnx.Proto;

namespace MklRnn.Tests.Onnx;

/// <summary>
/// Graphs shaped like tf2onnx's Keras exports (fixtures/make_tf2onnx_shaped.py: batch-major input behind a
/// Transpose, Squeeze/Unsqueeze around Y and Y_h, zero states from ConstantOfShape/Expand or absent, Cast and
/// Identity, the last step taken by Slice or Gather, Dense as MatMul + Add or Gemm, on every step or on the
/// final state, a bias absent, GRU with both reset_after settings, int64 lengths cast to int32, a reverse layer over a forward one). Each is
/// imported and run by MklRnn and run by ONNX Runtime on the same input: every output within 1e-5. What the
/// importer cannot map exactly is refused with the node's name and op.
/// </summary>
public class Tf2OnnxShapedTests
{
    private const int T = 6, N = 3;
    private static readonly int[] Lengths = [6, 2, 4];

    public static TheoryData<string> Fixtures() => new(
        "keras_lstm_last_step_opset13.onnx", "keras_gru_final_state_opset11.onnx", "keras_lstm_stacked_opset13.onnx",
        "keras_gru_masked_lengths_opset13.onnx", "keras_rnn_gather_last_opset11.onnx", "keras_bilstm_final_states_opset13.onnx",
        "keras_lstm_forward_then_reverse_opset13.onnx", "keras_bilstm_stacked_sequences_opset13.onnx", "keras_bigru_final_outputs_opset13.onnx");

    private static string Fixture(string name) => Path.Combine(AppContext.BaseDirectory, "onnx-fixtures", name);

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void Keras_shaped_graph_runs_in_MklRnn_like_in_ort(string name)
    {
        using OnnxRecurrentModel model = OnnxImporter.Load(Fixture(name));
        Assert.True(model.Stack.Config.BatchFirst); // Keras is batch-major; the Transpose in front says so
        var (x, feeds) = Inputs(model, "input_1", int64Lengths: true);
        var (main, finalState) = RunMklRnn(model, x);

        ModelProto proto = OnnxFile.Read(Fixture(name));
        var ort = OrtSession.Run(File.ReadAllBytes(Fixture(name)), feeds);
        Assert.True(OrtSession.MaxAbsDifference(main, ort[proto.Graph.Output[0].Name]) <= 1e-5f, $"{proto.Graph.Output[0].Name} differs");
        if (ort.TryGetValue("state", out float[]? state))
            Assert.True(OrtSession.MaxAbsDifference(finalState, state) <= 1e-5f, "state differs");
    }

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void Imported_keras_shaped_model_exports_back_and_ort_agrees(string name)
    {
        using OnnxRecurrentModel model = OnnxImporter.Load(Fixture(name));
        ModelProto exported = OnnxExporter.Export(model, new OnnxExportOptions { WithLengths = model.LengthsName != null });
        using OnnxRecurrentModel again = OnnxImporter.Import(exported);
        Assert.Equal(model.HeadInput, again.HeadInput);
        var (x, feeds) = Inputs(model, "input", int64Lengths: false);
        var (main, _) = RunMklRnn(model, x);
        var ort = OrtSession.Run(exported.ToByteArray(), feeds);
        string output = exported.Graph.Output[model.Activation == OutputActivation.None ? 0 : 1].Name; // after 'logits' when there is a softmax
        Assert.True(OrtSession.MaxAbsDifference(main, ort[output]) <= 1e-5f, $"{output} differs");
    }

    [Theory]
    [InlineData("refuse_bilstm_last_step_opset13.onnx", "node 'last_step' (Gather): takes one step of both directions of a bidirectional Y")]
    [InlineData("refuse_first_step_opset13.onnx", "node 'first_step' (Slice): takes the first step of a forward direction, not its final state")]
    public void What_is_not_exact_is_refused_by_node(string name, string message)
    {
        var e = Assert.Throws<OnnxFormatException>(() => OnnxImporter.Load(Fixture(name)).Dispose());
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void Bidirectional_strands_in_the_wrong_order_or_step_are_refused()
    {
        ModelProto proto = OnnxFile.Read(Fixture("keras_bigru_final_outputs_opset13.onnx"));
        NodeProto concat = proto.Graph.Node.Single(n => n.Name == "bi_concat");
        (concat.Input[0], concat.Input[1]) = (concat.Input[1], concat.Input[0]);
        var e = Assert.Throws<OnnxFormatException>(() => OnnxImporter.Import(proto).Dispose());
        Assert.Contains("node 'bi_concat' (Concat): concatenates", e.Message);
        Assert.Contains("only the forward then the backward direction of one layer", e.Message);

        // The backward direction's last step (Slice [-1, end) instead of [0, 1)) is the first step it computes.
        proto = OnnxFile.Read(Fixture("keras_bigru_final_outputs_opset13.onnx"));
        concat = proto.Graph.Node.Single(n => n.Name == "bi_concat");
        NodeProto backwardStep = proto.Graph.Node.Single(n => n.OpType == "Slice" && proto.Graph.Node.Any(s => s.Input.Contains(n.Output[0]) && s.Output[0] == concat.Input[1]));
        proto.Graph.Initializer.Single(t => t.Name == backwardStep.Input[1]).RawData = ByteString.CopyFrom(BitConverter.GetBytes(-1L));
        proto.Graph.Initializer.Single(t => t.Name == backwardStep.Input[2]).RawData = ByteString.CopyFrom(BitConverter.GetBytes(long.MaxValue));
        e = Assert.Throws<OnnxFormatException>(() => OnnxImporter.Import(proto).Dispose());
        Assert.Contains($"node '{backwardStep.Name}' (Slice): takes the last step of a backward direction", e.Message);
    }

    [Fact]
    public void Last_step_with_sequence_lens_is_refused()
    {
        ModelProto proto = OnnxFile.Read(Fixture("keras_lstm_last_step_opset13.onnx"));
        proto.Graph.Input.Add(new ValueInfoProto { Name = "lengths" });
        proto.Graph.Node.Single(n => n.OpType == "LSTM").Input[4] = "lengths";
        var e = Assert.Throws<OnnxFormatException>(() => OnnxImporter.Import(proto).Dispose());
        Assert.Contains("node 'last_step' (Slice): takes Y's last step while the graph has sequence_lens", e.Message);
    }

    [Fact]
    public void Squeeze_without_axes_and_other_glue_on_the_head_path_are_refused()
    {
        ModelProto proto = OnnxFile.Read(Fixture("keras_gru_final_state_opset11.onnx"));
        NodeProto squeeze = proto.Graph.Node.Single(n => n.OpType == "Squeeze");
        squeeze.Attribute.Clear();
        var e = Assert.Throws<OnnxFormatException>(() => OnnxImporter.Import(proto).Dispose());
        Assert.Contains($"node '{squeeze.Name}' (Squeeze): has no axes", e.Message);

        proto = OnnxFile.Read(Fixture("keras_gru_final_state_opset11.onnx"));
        NodeProto identity = proto.Graph.Node.First(n => n.OpType == "Identity");
        identity.OpType = "Expand"; // glue the importer knows (zero states), but not on a data path
        e = Assert.Throws<OnnxFormatException>(() => OnnxImporter.Import(proto).Dispose());
        Assert.Contains($"node '{identity.Name}' (Expand): sits between a recurrent node and the head node", e.Message);
    }

    /// <summary>A seeded batch-major input (and the lengths when the graph has them: int64 as Keras, int32 as MklRnn exports) as MklRnn and ORT feeds.</summary>
    private static (float[] X, (string, object, int[])[] Feeds) Inputs(OnnxRecurrentModel model, string inputName, bool int64Lengths)
    {
        int I = model.Stack.Config.InputSize;
        var random = new Random(7);
        float[] x = Enumerable.Range(0, N * T * I).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
        var feeds = new List<(string, object, int[])> { (inputName, x, [N, T, I]) };
        if (model.LengthsName != null)
            feeds.Add((model.LengthsName, int64Lengths ? Lengths.Select(l => (long)l).ToArray() : Lengths, [N]));
        return (x, feeds.ToArray());
    }

    /// <summary>MklRnn's main output (as the graph's first output) and the last layer's final state (N, D·H).</summary>
    private static (float[] Main, float[] FinalState) RunMklRnn(OnnxRecurrentModel model, float[] x)
    {
        RnnConfig c = model.Stack.Config;
        var y = new float[T * N * c.OutputSize];
        var hN = new float[c.NumLayers * c.Directions * N * c.HiddenSize];
        model.Forward(x, T, N, y, hN: hN, lengths: model.LengthsName != null ? Lengths : default);
        return (ImportedModelOutputs.MainOutput(model, y, hN, T, N), ImportedModelOutputs.FinalState(model, hN, N));
    }
}
