using Google.Protobuf;
using MklRnn.Layers;
using MklRnn.Onnx;
using MklRnn.Onnx.Proto;

namespace MklRnn.Tests.Onnx;

/// <summary>Corrupt, hostile or unsupported .onnx input: a clear OnnxFormatException naming what is wrong, no crash, no giant allocation.</summary>
public class OnnxHostileInputTests
{
    private static ModelProto ExportedLstm()
    {
        using var model = new OnnxRecurrentModel(new RecurrentStack(new RnnConfig(CellKind.Lstm, 3, 4), seed: 1));
        return OnnxExporter.Export(model);
    }

    private static OnnxFormatException Refused(ModelProto model, string? folder = null) =>
        Assert.Throws<OnnxFormatException>(() => OnnxImporter.Import(model, folder, "hostile.onnx").Dispose());

    private static TensorProto Initializer(ModelProto m, string name) => m.Graph.Initializer.Single(t => t.Name == name);

    /// <summary>64 nested Concat(x, x) in front of initial_h: 2^64 paths, each tensor traced once (a hang otherwise, caught by the suite's blame-hang).</summary>
    [Fact]
    public void Nested_concats_of_one_tensor_are_traced_once()
    {
        ModelProto m = ExportedLstm();
        m.Graph.Initializer.Add(OnnxTensors.Int64("zeros_shape", [1, 1, 4], 3));
        string x = "zeros_0";
        m.Graph.Node.Add(new NodeProto { OpType = "ConstantOfShape", Name = "zeros", Input = { "zeros_shape" }, Output = { x } });
        for (int i = 1; i <= 64; i++)
        {
            var concat = new NodeProto { OpType = "Concat", Name = $"concat_{i}", Input = { x, x }, Output = { $"zeros_{i}" } };
            concat.Attribute.Add(new AttributeProto { Name = "axis", Type = AttributeProto.Types.AttributeType.Int, I = 0 });
            m.Graph.Node.Add(concat);
            x = $"zeros_{i}";
        }
        m.Graph.Node.Single(n => n.OpType == "LSTM").Input[5] = x;
        using OnnxRecurrentModel model = OnnxImporter.Import(m);
        Assert.Null(model.H0Name); // zeros, as the roots say
    }

    [Fact]
    public void Truncated_file_is_refused()
    {
        byte[] bytes = ExportedLstm().ToByteArray();
        var e = Assert.Throws<OnnxFormatException>(() => OnnxFile.Parse(bytes[..(bytes.Length / 2)], "cut.onnx"));
        Assert.Contains("cut.onnx", e.Message);
        Assert.Contains("truncated or corrupt", e.Message);
    }

    [Fact]
    public void Random_bytes_are_refused()
    {
        var bytes = new byte[4096];
        new Random(3).NextBytes(bytes);
        Assert.Throws<OnnxFormatException>(() => OnnxFile.Parse(bytes, "noise.onnx"));
    }

    [Fact]
    public void Huge_length_prefix_is_refused_without_allocating_it()
    {
        // Field 7 (graph), wire type 2, length 2^31 - 1 varint, then nothing.
        byte[] bytes = [0x3a, 0xff, 0xff, 0xff, 0xff, 0x07];
        Assert.Throws<OnnxFormatException>(() => OnnxFile.Parse(bytes, "huge.onnx"));
    }

    [Fact]
    public void Huge_dims_with_little_data_are_refused()
    {
        ModelProto m = ExportedLstm();
        TensorProto w = Initializer(m, "W_l0");
        w.Dims[1] = 1L << 40;
        Assert.Contains("W_l0", Refused(m).Message);
        w.Dims[1] = 16;
        w.Dims[2] = 300_000_000; // within int range once, but the raw data holds 192 bytes
        Assert.Contains("W_l0", Refused(m).Message);
    }

    [Fact]
    public void Wrong_data_type_is_refused()
    {
        ModelProto m = ExportedLstm();
        Initializer(m, "R_l0").DataType = (int)TensorProto.Types.DataType.Int32;
        var e = Refused(m);
        Assert.Contains("R_l0", e.Message);
        Assert.Contains("expected FLOAT", e.Message);
    }

    [Fact]
    public void Raw_data_shorter_than_dims_is_refused()
    {
        ModelProto m = ExportedLstm();
        TensorProto b = Initializer(m, "B_l0");
        b.RawData = ByteString.CopyFrom(b.RawData.Span[..8]);
        Assert.Contains("raw_data has 8 bytes", Refused(m).Message);
    }

    [Fact]
    public void Missing_initializer_is_refused()
    {
        ModelProto m = ExportedLstm();
        m.Graph.Initializer.Remove(Initializer(m, "R_l0"));
        Assert.Contains("'R_l0'", Refused(m).Message);
    }

    [Fact]
    public void External_data_outside_the_model_folder_is_refused()
    {
        using var folder = new TempFolder();
        File.WriteAllBytes(Path.Combine(Path.GetDirectoryName(folder.Path)!, "escape.bin"), new byte[4096]);
        ModelProto m = ExportedLstm();
        TensorProto w = Initializer(m, "W_l0");
        w.RawData = ByteString.Empty;
        w.DataLocation = TensorProto.Types.DataLocation.External;
        w.ExternalData.Add(new StringStringEntryProto { Key = "location", Value = "../escape.bin" });
        Assert.Contains("leaves the model's folder", Refused(m, folder.Path).Message);
        w.ExternalData[0].Value = "/etc/passwd";
        Assert.Contains("leaves the model's folder", Refused(m, folder.Path).Message);
    }

    [Fact]
    public void External_data_inside_the_folder_loads_and_short_files_are_refused()
    {
        using var folder = new TempFolder();
        ModelProto m = ExportedLstm();
        TensorProto w = Initializer(m, "W_l0");
        byte[] raw = w.RawData.ToByteArray();
        File.WriteAllBytes(folder["weights.bin"], [.. new byte[8], .. raw]);
        w.RawData = ByteString.Empty;
        w.DataLocation = TensorProto.Types.DataLocation.External;
        w.ExternalData.Add(new StringStringEntryProto { Key = "location", Value = "weights.bin" });
        w.ExternalData.Add(new StringStringEntryProto { Key = "offset", Value = "8" });
        using (OnnxRecurrentModel loaded = OnnxImporter.Import(m, folder.Path))
            Assert.Equal(16 * 3, loaded.Stack["weight_ih_l0"].Length);
        w.ExternalData[1].Value = "100";
        Assert.Contains("beyond the end", Refused(m, folder.Path).Message);
    }

    [Fact]
    public void Unsupported_ops_are_listed_with_their_node_names()
    {
        ModelProto m = ExportedLstm();
        m.Graph.Node.Add(new NodeProto { OpType = "Relu", Name = "act", Input = { "output" }, Output = { "relu_out" } });
        m.Graph.Node.Add(new NodeProto { OpType = "Conv", Name = "conv1", Input = { "output" }, Output = { "conv_out" } });
        var e = Refused(m);
        Assert.Contains("Relu ('act')", e.Message);
        Assert.Contains("Conv ('conv1')", e.Message);
    }

    [Theory]
    [InlineData("clip")]
    [InlineData("input_forget")]
    [InlineData("activations")]
    [InlineData("direction")]
    public void Unsupported_attributes_are_named(string attribute)
    {
        ModelProto m = ExportedLstm();
        NodeProto lstm = m.Graph.Node.Single(n => n.OpType == "LSTM");
        if (lstm.Attribute.SingleOrDefault(a => a.Name == attribute) is { } existing) lstm.Attribute.Remove(existing);
        lstm.Attribute.Add(attribute switch
        {
            "clip" => new AttributeProto { Name = "clip", Type = AttributeProto.Types.AttributeType.Float, F = 3f },
            "input_forget" => new AttributeProto { Name = "input_forget", Type = AttributeProto.Types.AttributeType.Int, I = 1 },
            "activations" => new AttributeProto { Name = "activations", Type = AttributeProto.Types.AttributeType.Strings, Strings = { ByteString.CopyFromUtf8("HardSigmoid"), ByteString.CopyFromUtf8("Tanh"), ByteString.CopyFromUtf8("Tanh") } },
            _ => new AttributeProto { Name = "direction", Type = AttributeProto.Types.AttributeType.String, S = ByteString.CopyFromUtf8("sideways") },
        });
        var e = Refused(m);
        Assert.Contains($"'{attribute}'", e.Message);
        Assert.Contains("LSTM", e.Message);
    }

    [Fact]
    public void Graph_without_recurrent_node_is_refused()
    {
        var m = new ModelProto { Graph = new GraphProto() };
        Assert.Contains("no LSTM, GRU or RNN node", Refused(m).Message);
    }
}
