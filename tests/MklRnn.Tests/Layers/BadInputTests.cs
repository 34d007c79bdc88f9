using MklRnn.IO;
using MklRnn.Layers;

namespace MklRnn.Tests.Layers;

/// <summary>Bad input gets a clear exception naming the argument and the expected shape, before any native call.</summary>
public class BadInputTests
{
    private static RecurrentStack Lstm(bool bidirectional = false) =>
        new(new RnnConfig(CellKind.Lstm, 4, 5, 2, bidirectional));

    [Fact]
    public void WrongInputWidthNamesInputAndShape()
    {
        using var stack = Lstm();
        var e = Assert.Throws<ArgumentException>(() => stack.Forward(new float[3 * 2 * 3], 3, 2, new float[3 * 2 * 5]));
        Assert.Equal("input", e.ParamName);
        Assert.Contains("(3, 2, 4)", e.Message);
        Assert.Contains("got 18", e.Message);
    }

    [Fact]
    public void WrongOutputAndStateShapes()
    {
        using var stack = Lstm(bidirectional: true);
        float[] x = new float[3 * 2 * 4];
        Assert.Equal("output", Assert.Throws<ArgumentException>(() => stack.Forward(x, 3, 2, new float[3 * 2 * 5])).ParamName);
        float[] y = new float[3 * 2 * 10];
        var e = Assert.Throws<ArgumentException>(() => stack.Forward(x, 3, 2, y, h0: new float[2 * 2 * 5]));
        Assert.Equal("h0", e.ParamName);
        Assert.Contains("(4, 2, 5)", e.Message);
        Assert.Equal("c0", Assert.Throws<ArgumentException>(() => stack.Forward(x, 3, 2, y, c0: new float[7])).ParamName);
        Assert.Equal("hN", Assert.Throws<ArgumentException>(() => stack.Forward(x, 3, 2, y, hN: new float[7])).ParamName);
        using var gru = new RecurrentStack(new RnnConfig(CellKind.Gru, 4, 5));
        Assert.Equal("c0", Assert.Throws<ArgumentException>(() => gru.Forward(x, 3, 2, new float[30], c0: new float[10])).ParamName);
    }

    [Theory]
    [InlineData(new[] { 4, 1 }, "lengths[0] = 4")]
    [InlineData(new[] { 0, 2 }, "lengths[0] = 0")]
    [InlineData(new[] { 2, -1 }, "lengths[1] = -1")]
    [InlineData(new[] { 2 }, "one value per sequence")]
    public void BadLengths(int[] lengths, string fragment)
    {
        using var stack = Lstm();
        var e = Assert.ThrowsAny<ArgumentException>(() => stack.Forward(new float[3 * 2 * 4], 3, 2, new float[3 * 2 * 5], lengths: lengths));
        Assert.Equal("lengths", e.ParamName);
        Assert.Contains(fragment, e.Message);
    }

    [Fact]
    public void BadSizes()
    {
        using var stack = Lstm();
        Assert.Throws<ArgumentOutOfRangeException>(() => stack.Forward([], 0, 2, []));
        Assert.Throws<ArgumentOutOfRangeException>(() => stack.Forward([], 2, 0, []));
        Assert.Throws<ArgumentOutOfRangeException>(() => new RecurrentStack(new RnnConfig(CellKind.Lstm, 0, 5)));
        Assert.Throws<ArgumentOutOfRangeException>(() => new RecurrentStack(new RnnConfig(CellKind.Gru, 3, 5) { ProjSize = 2 }));
        Assert.Throws<ArgumentException>(() => new RecurrentStack(new RnnConfig(CellKind.Gru, 3, 5) { Peephole = true }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new RecurrentStack(new RnnConfig(CellKind.Lstm, 3, 5) { ProjSize = 5 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new RecurrentStack(new RnnConfig(CellKind.Lstm, 3, 5) { Dropout = 1f }));
    }

    [Fact]
    public void DisposedStackThrowsObjectDisposed()
    {
        var stack = Lstm();
        stack.Dispose();
        stack.Dispose(); // idempotent
        Assert.Throws<ObjectDisposedException>(() => stack.Forward(new float[24], 3, 2, new float[30]));
        Assert.Throws<ObjectDisposedException>(() => stack.Backward(new float[30], new float[24]));
        Assert.Throws<ObjectDisposedException>(() => stack.BeginSteps(1, 1));
    }

    [Fact]
    public void BackwardMisuse()
    {
        using var stack = Lstm();
        float[] x = new float[24], y = new float[30];
        Assert.Contains("preceding training forward", Assert.Throws<InvalidOperationException>(() => stack.Backward(y, x)).Message);
        stack.Forward(x, 3, 2, y);
        Assert.Throws<InvalidOperationException>(() => stack.Backward(y, x)); // inference forward keeps no tape
        stack.Forward(x, 3, 2, y, training: true);
        Assert.Equal("gradOutput", Assert.Throws<ArgumentException>(() => stack.Backward(new float[29], x)).ParamName);
        Assert.Equal("gradInput", Assert.Throws<ArgumentException>(() => stack.Backward(y, new float[5])).ParamName);
        Assert.Equal("gradHn", Assert.Throws<ArgumentException>(() => stack.Backward(y, x, gradHn: new float[3])).ParamName);
        stack.Backward(y, x);
        Assert.Contains("already called", Assert.Throws<InvalidOperationException>(() => stack.Backward(y, x)).Message);
        stack.Forward(x, 3, 2, y, training: true);
        stack.Parameters[0].Data[0] += 1; // weights changed between forward and backward
        Assert.Contains("changed after the training forward", Assert.Throws<InvalidOperationException>(() => stack.Backward(y, x)).Message);
    }

    [Fact]
    public void NaNInputPropagatesToItsOwnSequenceOnly()
    {
        // Documented behaviour: no exception; NaN flows into the outputs of the sequence it belongs to.
        using var stack = new RecurrentStack(new RnnConfig(CellKind.Lstm, 2, 3), seed: 1);
        const int T = 4, N = 2;
        var x = new float[T * N * 2];
        for (int i = 0; i < x.Length; i++) x[i] = 0.1f * i;
        x[(1 * N + 0) * 2] = float.NaN; // step 1, sequence 0
        var y = new float[T * N * 3];
        stack.Forward(x, T, N, y);
        for (int t = 0; t < T; t++)
            for (int f = 0; f < 3; f++)
            {
                Assert.Equal(t >= 1, float.IsNaN(y[(t * N + 0) * 3 + f]));
                Assert.False(float.IsNaN(y[(t * N + 1) * 3 + f]));
            }
    }

    [Fact]
    public void SaveLoadRoundTripAndCorruptFile()
    {
        string dir = Directory.CreateTempSubdirectory("mklrnn-").FullName;
        try
        {
            string path = Path.Combine(dir, "gru.safetensors");
            var config = new RnnConfig(CellKind.Gru, 3, 4, 2, bidirectional: true) { LinearBeforeReset = false };
            using var stack = new RecurrentStack(config, seed: 5);
            stack.Save(path);
            using var loaded = RecurrentStack.Load(path);
            Assert.Equal(config, loaded.Config);
            for (int i = 0; i < stack.Parameters.Count; i++)
                Assert.Equal(stack.Parameters[i].Values.ToArray(), loaded.Parameters[i].Values.ToArray());
            // Truncation is refused with a clear message, never an out-of-range read.
            byte[] bytes = File.ReadAllBytes(path);
            File.WriteAllBytes(path, bytes[..(bytes.Length - 10)]);
            Assert.Throws<InvalidDataException>(() => RecurrentStack.Load(path));
            // A state_dict missing a tensor names it.
            var writer = new SafeTensorsWriter();
            writer.Add("weight_ih_l0", [12, 3], new float[36]);
            writer.Save(path);
            using var other = new RecurrentStack(new RnnConfig(CellKind.Gru, 3, 4));
            var e = Assert.Throws<InvalidDataException>(() => other.LoadWeights(path));
            Assert.Contains("weight_hh_l0", e.Message);
            // Wrong shape: the tensor and both shapes are named.
            writer = new SafeTensorsWriter();
            writer.Add("rnn.weight_ih_l0", [12, 5], new float[60]);
            writer.Save(path);
            e = Assert.Throws<InvalidDataException>(() => other.LoadWeights(path, "rnn."));
            Assert.Contains("(12, 5)", e.Message);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
