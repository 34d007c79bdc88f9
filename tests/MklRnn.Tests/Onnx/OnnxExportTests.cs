using Google.Protobuf;
using MklRnn.Layers;
using MklRnn.Onnx;

namespace MklRnn.Tests.Onnx;

/// <summary>
/// Stacks exported by OnnxExporter, run in ONNX Runtime on the same input as MklRnn's forward: output,
/// h_n and c_n agree within 1e-5 for every cell, both GRU variants, peepholes, 1-2 layers, both
/// directions, both layouts, variable lengths and initial states; re-importing gives the same weights.
/// </summary>
public class OnnxExportTests
{
    public static TheoryData<CellKind, bool, bool, int, bool, bool, bool> Cases()
    {
        var data = new TheoryData<CellKind, bool, bool, int, bool, bool, bool>();
        (CellKind, bool, bool)[] cells =
        [
            (CellKind.RnnTanh, false, true), (CellKind.RnnRelu, false, true), (CellKind.Lstm, false, true),
            (CellKind.Lstm, true, true), (CellKind.Gru, false, true), (CellKind.Gru, false, false),
        ];
        foreach (var (cell, peephole, lbr) in cells)
            foreach (int layers in new[] { 1, 2 })
                foreach (bool bidirectional in new[] { false, true })
                    foreach (bool batchFirst in new[] { false, true })
                        foreach (bool variable in new[] { false, true })
                            data.Add(cell, peephole, lbr, layers, bidirectional, batchFirst, variable);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Ort_runs_the_exported_stack_like_MklRnn(CellKind cell, bool peephole, bool linearBeforeReset, int layers,
        bool bidirectional, bool batchFirst, bool variableLengths)
    {
        const int T = 5, N = 3, I = 4, H = 6;
        var config = new RnnConfig(cell, I, H, layers, bidirectional) { BatchFirst = batchFirst, Peephole = peephole, LinearBeforeReset = linearBeforeReset };
        using var model = new OnnxRecurrentModel(new RecurrentStack(config, seed: 7));
        var random = new Random(11);
        float[] Random(int n) => Enumerable.Range(0, n).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
        int S = layers * config.Directions, width = config.OutputSize;
        float[] input = Random(T * N * I), h0 = Random(S * N * H), c0 = Random(S * N * H);
        int[] lengths = variableLengths ? [5, 2, 4] : [];
        bool lstm = cell == CellKind.Lstm;
        var output = new float[T * N * width];
        var hN = new float[S * N * H];
        var cN = lstm ? new float[S * N * H] : [];
        // Initial states ride along with the variable-length cases, so both paths are covered.
        bool states = variableLengths;
        model.Stack.Forward(input, T, N, output, states ? h0 : default, states && lstm ? c0 : default, hN, cN, lengths);

        byte[] onnx = OnnxExporter.Export(model, new OnnxExportOptions { WithLengths = variableLengths, WithInitialStates = states }).ToByteArray();
        var feeds = new List<(string, object, int[])> { ("input", input, batchFirst ? [N, T, I] : [T, N, I]) };
        if (variableLengths) feeds.Add(("lengths", lengths, [N]));
        if (states)
        {
            feeds.Add(("h0", h0, [S, N, H]));
            if (lstm) feeds.Add(("c0", c0, [S, N, H]));
        }
        var ort = OrtSession.Run(onnx, feeds.ToArray());

        Assert.True(OrtSession.MaxAbsDifference(output, ort["output"]) <= 1e-5f, $"output differs by {OrtSession.MaxAbsDifference(output, ort["output"])}");
        Assert.True(OrtSession.MaxAbsDifference(hN, ort["h_n"]) <= 1e-5f, "h_n differs");
        if (lstm) Assert.True(OrtSession.MaxAbsDifference(cN, ort["c_n"]) <= 1e-5f, "c_n differs");

        // Importing the export gives back the same parameters, bit for bit, and the same layout.
        using OnnxRecurrentModel back = OnnxImporter.Import(OnnxFile.Parse(onnx, "export"));
        Assert.Equal(config, back.Stack.Config);
        for (int p = 0; p < model.Stack.Parameters.Count; p++)
            Assert.Equal(model.Stack.Parameters[p].Values.ToArray(), back.Stack.Parameters[p].Values.ToArray());
        Assert.Equal(variableLengths ? "lengths" : null, back.LengthsName);
        Assert.Equal(states ? "h0" : null, back.H0Name);
    }
}
