using MklRnn.Onnx;
using MklRnn.Onnx.Proto;

namespace MklRnn.Tests.Onnx;

/// <summary>
/// Models exported by torch.onnx.export (opsets 9-17: stacked bidirectional LSTM, batch-first GRU, initial
/// states as inputs, Gather embedding + MatMul/Add head + LogSoftmax, RNN relu + Softmax), written by
/// fixtures/make_fixtures.py. Imported by OnnxImporter and run by MklRnn; ONNX Runtime runs the same file on
/// the same input; every output agrees within 1e-5.
/// </summary>
public class TorchFixtureTests
{
    public static TheoryData<string> Fixtures() => new(
        "torch_lstm_bidir_2layers_opset9.onnx", "torch_gru_batch_first_opset14.onnx", "torch_lstm_initial_states_opset11.onnx",
        "torch_char_gru_opset13.onnx", "torch_rnn_relu_softmax_opset17.onnx");

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void Torch_export_runs_in_MklRnn_like_in_ort(string name)
    {
        string path = Path.Combine(AppContext.BaseDirectory, "onnx-fixtures", name);
        using OnnxRecurrentModel model = OnnxImporter.Load(path);
        RnnConfig c = model.Stack.Config;
        const int T = 7, N = 3;
        int S = c.NumLayers * c.Directions;
        var random = new Random(name.Length);
        float[] Random(int n) => Enumerable.Range(0, n).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
        int[] dims = c.BatchFirst ? [N, T] : [T, N];
        var feeds = new List<(string, object, int[])>();
        float[] x;
        if (model.Embedding != null)
        {
            long[] ids = Enumerable.Range(0, T * N).Select(_ => (long)random.Next(model.Embedding.VocabularySize)).ToArray();
            feeds.Add((model.InputName, ids, dims));
            x = new float[T * N * c.InputSize];
            model.Embedding.Forward(ids.Select(i => (int)i).ToArray(), x);
        }
        else
        {
            x = Random(T * N * c.InputSize);
            feeds.Add((model.InputName, x, [.. dims, c.InputSize]));
        }
        float[] h0 = model.H0Name != null ? Random(S * N * c.HiddenSize) : [];
        float[] c0 = model.C0Name != null ? Random(S * N * c.HiddenSize) : [];
        if (model.H0Name != null) feeds.Add((model.H0Name, h0, [S, N, c.HiddenSize]));
        if (model.C0Name != null) feeds.Add((model.C0Name, c0, [S, N, c.HiddenSize]));

        var y = new float[T * N * c.OutputSize];
        var hN = new float[S * N * c.HiddenSize];
        model.Stack.Forward(x, T, N, y, h0, c0, hN);
        float[] result = ImportedModelOutputs.MainOutput(model, y, hN, T, N);

        ModelProto proto = OnnxFile.Read(path);
        var ort = OrtSession.Run(File.ReadAllBytes(path), feeds.ToArray());
        Assert.True(OrtSession.MaxAbsDifference(result, ort[proto.Graph.Output[0].Name]) <= 1e-5f, $"{proto.Graph.Output[0].Name} differs");
        Assert.True(OrtSession.MaxAbsDifference(hN, ort["h_n"]) <= 1e-5f, "h_n differs");
    }
}
