using MklRnn.Layers;
using MklRnn.Onnx;

namespace MklRnn.Tests.Onnx;

/// <summary>safetensors -> ONNX -> safetensors gives back the same file, byte for byte (weights, names, metadata).</summary>
public class OnnxRoundTripTests
{
    [Theory]
    [InlineData(CellKind.Lstm, 2, true, true, false)]
    [InlineData(CellKind.Gru, 1, false, false, true)]
    [InlineData(CellKind.RnnRelu, 2, true, false, false)]
    public void Safetensors_to_onnx_and_back_is_bit_identical(CellKind cell, int layers, bool bidirectional, bool peepholeOrOriginalGru, bool batchFirst)
    {
        using var folder = new TempFolder();
        var config = new RnnConfig(cell, 5, 7, layers, bidirectional)
        {
            BatchFirst = batchFirst,
            Peephole = cell == CellKind.Lstm && peepholeOrOriginalGru,
            LinearBeforeReset = !(cell == CellKind.Gru && peepholeOrOriginalGru),
            Dropout = layers > 1 ? 0.25f : 0f,
        };
        using (var stack = new RecurrentStack(config, seed: 5)) stack.Save(folder["a.safetensors"]);

        using (var loaded = new OnnxRecurrentModel(RecurrentStack.Load(folder["a.safetensors"])))
            OnnxExporter.Save(loaded, folder["m.onnx"]);
        using (OnnxRecurrentModel imported = OnnxImporter.Load(folder["m.onnx"]))
            imported.Stack.Save(folder["b.safetensors"]);

        Assert.Equal(File.ReadAllBytes(folder["a.safetensors"]), File.ReadAllBytes(folder["b.safetensors"]));
    }
}
