using MklRnn.Onnx;
using MklRnn.Onnx.Proto;

namespace MklRnn.Tests.Onnx;

/// <summary>
/// ONNX's own backend node tests for LSTM, GRU and RNN (Debian's libonnx-testdata, installed by build.sh):
/// model.onnx with W, R, B (and P) as graph inputs, inputs and expected outputs as TensorProto files.
/// Each passes through OnnxImporter and RecurrentStack.Forward with the backend tests' tolerance
/// (rtol 1e-3, atol 1e-7).
/// </summary>
public class OnnxBackendNodeTests
{
    private const string NodeTests = "/usr/share/libonnx-testdata/data/node";

    private static readonly string[] Names =
    [
        "test_gru_batchwise", "test_gru_defaults", "test_gru_seq_length", "test_gru_with_initial_bias",
        "test_lstm_batchwise", "test_lstm_defaults", "test_lstm_with_initial_bias", "test_lstm_with_peepholes",
        "test_rnn_seq_length", "test_simple_rnn_batchwise", "test_simple_rnn_defaults", "test_simple_rnn_with_initial_bias",
    ];

    public static TheoryData<string> Cases() => new(Names);

    [Fact]
    public void Every_recurrent_node_test_the_package_ships_is_listed()
    {
        Assert.True(Directory.Exists(NodeTests), $"{NodeTests} is missing: build.sh installs libonnx-testdata");
        string[] shipped = Directory.GetDirectories(NodeTests).Select(d => Path.GetFileName(d))
            .Where(n => n!.StartsWith("test_lstm") || n.StartsWith("test_gru") || n.StartsWith("test_simple_rnn") || n.StartsWith("test_rnn_seq_length"))
            .Order().ToArray()!;
        Assert.Equal(Names.Order(), shipped);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Node_test_passes(string name)
    {
        string folder = Path.Combine(NodeTests, name);
        ModelProto model = OnnxFile.Read(Path.Combine(folder, "model.onnx"));
        NodeProto node = model.Graph.Node.Single();
        var inputs = new Dictionary<string, TensorProto>();
        for (int i = 0; i < model.Graph.Input.Count; i++)
            inputs[model.Graph.Input[i].Name] = ReadTensor(Path.Combine(folder, "test_data_set_0", $"input_{i}.pb"));
        // Weights W, R, B, P are graph inputs here: give them to the importer; X and states are fed to Forward.
        int[] weightSlots = [1, 2, 3, 7];
        var weights = weightSlots.Where(s => s < node.Input.Count && node.Input[s].Length > 0).ToDictionary(s => node.Input[s], s => inputs[node.Input[s]]);
        using OnnxRecurrentModel imported = OnnxImporter.Import(model, folder, name, weights);
        var stack = imported.Stack;
        RnnConfig c = stack.Config;
        bool batchwise = imported.BatchwiseStates;

        TensorProto x = inputs[imported.InputName];
        int T = (int)x.Dims[batchwise ? 1 : 0], N = (int)x.Dims[batchwise ? 0 : 1], D = c.Directions, H = c.HiddenSize;
        float[] h0 = imported.H0Name != null ? StatesToStack(OnnxTensors.ReadFloat(inputs[imported.H0Name], null), batchwise, D, N, H) : [];
        float[] c0 = imported.C0Name != null ? StatesToStack(OnnxTensors.ReadFloat(inputs[imported.C0Name], null), batchwise, D, N, H) : [];
        int[] lengths = imported.LengthsName != null ? OnnxTensors.ReadInt64(inputs[imported.LengthsName], null).Select(v => (int)v).ToArray() : [];
        var output = new float[T * N * D * H];
        var hN = new float[D * N * H];
        stack.Forward(OnnxTensors.ReadFloat(x, null), T, N, output, h0, c0, hN, default, lengths);

        // Expected outputs are numbered by the node's non-empty outputs, in order.
        string[] outputs = model.Graph.Output.Select(o => o.Name).ToArray();
        for (int k = 0; k < outputs.Length; k++)
        {
            float[] expected = OnnxTensors.ReadFloat(ReadTensor(Path.Combine(folder, "test_data_set_0", $"output_{k}.pb")), null);
            float[] actual = outputs[k] == node.Output[0] ? OutputToOnnx(output, batchwise, T, D, N, H) : StatesToOnnx(hN, batchwise, D, N, H);
            AssertClose(expected, actual, $"{name} {outputs[k]}");
        }
    }

    private static TensorProto ReadTensor(string path) => TensorProto.Parser.ParseFrom(File.ReadAllBytes(path));

    /// <summary>Backend tests' rule (numpy.testing.assert_allclose): |a - e| &lt;= atol + rtol |e|.</summary>
    private static void AssertClose(float[] expected, float[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(actual[i] - expected[i]) <= 1e-7 + 1e-3 * Math.Abs(expected[i]), $"{what}[{i}]: {actual[i]} vs expected {expected[i]}");
    }

    /// <summary>Layout 1 states are (N, D, H); the stack's are (D, N, H).</summary>
    private static float[] StatesToStack(float[] s, bool batchwise, int D, int N, int H) => batchwise ? Swap(s, N, D, H) : s;

    private static float[] StatesToOnnx(float[] s, bool batchwise, int D, int N, int H) => batchwise ? Swap(s, D, N, H) : s;

    /// <summary>The stack's output (T, N, D*H) as ONNX's Y (T, D, N, H); layout 1: (N, T, D*H) is already (N, T, D, H).</summary>
    private static float[] OutputToOnnx(float[] y, bool batchwise, int T, int D, int N, int H)
    {
        if (batchwise) return y;
        var result = new float[y.Length];
        for (int t = 0; t < T; t++)
            Swap(y.AsSpan(t * N * D * H, N * D * H).ToArray(), N, D, H).CopyTo(result, t * N * D * H);
        return result;
    }

    /// <summary>(A, B, H) to (B, A, H).</summary>
    private static float[] Swap(float[] s, int A, int B, int H)
    {
        var r = new float[s.Length];
        for (int a = 0; a < A; a++)
            for (int b = 0; b < B; b++)
                s.AsSpan((a * B + b) * H, H).CopyTo(r.AsSpan((b * A + a) * H, H));
        return r;
    }
}
