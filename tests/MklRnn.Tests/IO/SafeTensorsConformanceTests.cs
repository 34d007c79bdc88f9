using MklRnn.IO;

namespace MklRnn.Tests.IO;

/// <summary>The golden conformance cases (copied to the output folder's conformance/) all load.</summary>
public sealed class SafeTensorsConformanceTests
{
    private static readonly string CasesDir = Path.Combine(AppContext.BaseDirectory, "conformance");

    private static SafeTensorsFile Load(string name) => SafeTensorsFile.Read(Path.Combine(CasesDir, name));

    [Fact]
    public void EveryCase_Parses_AndEveryTensorReads()
    {
        var paths = Directory.EnumerateFiles(CasesDir, "*.safetensors").Order().ToList();
        Assert.True(paths.Count >= 35, $"expected at least 35 cases in {CasesDir}, found {paths.Count}");

        foreach (string path in paths)
        {
            var f = SafeTensorsFile.Read(path);
            Assert.Contains(f.Metadata["kind"], new[] { "rnn", "head", "clip", "attention" });
            Assert.NotEmpty(f.Tensors);
            foreach (var t in f.Tensors)
            {
                Assert.Equal(t.ElementCount * t.Dtype.ElementSize(), t.ByteLength);
                Assert.Equal(t.Shape.Aggregate(1L, (a, d) => a * d), t.ElementCount);
                switch (t.Dtype)
                {
                    case SafeTensorsDtype.F32: Assert.Equal(t.ElementCount, f.ReadFloat32(t.Name).Length); break;
                    case SafeTensorsDtype.I64: Assert.Equal(t.ElementCount, f.ReadInt32Checked(t.Name).Length); break;
                    default: Assert.Fail($"{path}: tensor {t.Name} has unexpected dtype {t.Dtype}"); break;
                }
            }
        }
    }

    [Fact]
    public void Lstm_KnownShapesAndMetadata()
    {
        var f = Load("lstm.safetensors");
        Assert.Equal("rnn", f.Metadata["kind"]);
        Assert.Equal("LSTM", f.Metadata["mode"]);
        Assert.Equal("1e-05", f.Metadata["atol"]);
        Assert.Equal([64, 8], f["weight_ih_l0"].Shape);
        Assert.Equal([64, 16], f["weight_hh_l0"].Shape);
        Assert.Equal([64], f["bias_ih_l0"].Shape);
        Assert.Equal([10, 4, 8], f["input"].Shape);   // T=10 N=4 I=8
        Assert.Equal([1, 4, 16], f["h0"].Shape);
        Assert.Equal([10, 4, 16], f["output"].Shape);
        Assert.Equal([64, 8], f["grad.weight_ih_l0"].Shape);
        Assert.Equal(SafeTensorsDtype.F32, f["weight_ih_l0"].Dtype);
        Assert.Equal("weight_ih_l0", f.Tensors[0].Name);

        var w = new float[64 * 8];
        f.ReadFloat32("weight_ih_l0", w, [64, 8]);
        Assert.All(w, v => Assert.True(float.IsFinite(v)));
    }

    [Fact]
    public void Lengths_AreInt64_WithDocumentedValues()
    {
        var f = Load("rnn_relu_len_bf.safetensors");
        Assert.Equal(SafeTensorsDtype.I64, f["lengths"].Dtype);
        Assert.Equal([5], f["lengths"].Shape);
        Assert.Equal([12L, 5L, 9L, 1L, 7L], f.ReadInt64("lengths"));
        Assert.Equal([5, 12, 7], f["input"].Shape); // batch_first: (N, T, I)
    }

    [Fact]
    public void Head_LossIsAScalar()
    {
        var f = Load("head_mean.safetensors");
        Assert.Equal("head", f.Metadata["kind"]);
        Assert.Empty(f["loss"].Shape);
        Assert.Equal(1, f["loss"].ElementCount);
        float loss = f.ReadFloat32("loss")[0];
        Assert.True(loss > 0 && float.IsFinite(loss));
        Assert.Equal([27, 16], f["weight"].Shape);
        Assert.Equal(SafeTensorsDtype.I64, f["targets"].Dtype);
        Assert.Equal([12, 4], f["targets"].Shape);
    }

    [Fact]
    public void Conformance_RoundTripsThroughWriter()
    {
        // Re-writing a case with our writer keeps every tensor and metadata entry bit-identical.
        var f = Load("lstm_proj_2l_len_bf.safetensors");
        var w = new SafeTensorsWriter();
        foreach (var (k, v) in f.Metadata) w.SetMetadata(k, v);
        foreach (var t in f.Tensors)
        {
            if (t.Dtype == SafeTensorsDtype.I64) w.AddInt64(t.Name, t.Shape, f.ReadInt64(t.Name));
            else w.Add(t.Name, t.Shape, f.ReadFloat32(t.Name));
        }
        var g = SafeTensorsFile.Parse(w.ToBytes(), "rewritten");
        Assert.Equal(f.Metadata, g.Metadata);
        Assert.Equal(f.Tensors.Select(t => t.Name), g.Tensors.Select(t => t.Name));
        foreach (var t in f.Tensors)
        {
            Assert.Equal(t.Shape, g[t.Name].Shape);
            Assert.True(f.GetBytes(t.Name).SequenceEqual(g.GetBytes(t.Name)), t.Name);
        }
    }
}
