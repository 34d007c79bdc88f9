using MklRnn.Modules;
using MklRnn.Training;

namespace MklRnn.Tests.Training;

public class EmbeddingTests
{
    [Fact]
    public void ForwardCopiesRows()
    {
        using var embedding = new Embedding(5, 3, "embedding.", seed: 1);
        Assert.Equal("embedding.weight", embedding.Weight.Name);
        var output = new float[4 * 3];
        embedding.Forward([4, 0, 4, 2], output);
        Assert.Equal(embedding.Weight.Values.Slice(12, 3).ToArray(), output[0..3]);
        Assert.Equal(embedding.Weight.Values.Slice(0, 3).ToArray(), output[3..6]);
        Assert.Equal(output[0..3], output[6..9]);
    }

    [Fact]
    public void BackwardMatchesFiniteDifferencesAndAccumulatesRepeatedIds()
    {
        const int V = 6, E = 4;
        using var embedding = new Embedding(V, E, seed: 2);
        int[] ids = [1, 3, 1, 5, 1];
        float[] upstream = Reference.RandomFloats(new Random(3), ids.Length * E);
        var output = new float[ids.Length * E];
        double Loss()
        {
            embedding.Forward(ids, output);
            double s = 0;
            for (int i = 0; i < output.Length; i++) s += (double)output[i] * upstream[i];
            return s;
        }
        embedding.Backward(ids, upstream);
        float[] grad = embedding.Weight.Grad.ToArray();
        const float h = 1e-2f;
        for (int i = 0; i < V * E; i++)
        {
            float saved = embedding.Weight.Values[i];
            embedding.Weight.Data[i] = saved + h;
            double up = Loss();
            embedding.Weight.Data[i] = saved - h;
            double down = Loss();
            embedding.Weight.Data[i] = saved;
            Reference.Near((up - down) / (2 * h), grad[i], 1e-3, 1e-3, $"grad.weight[{i}]");
        }
        // id 1 appears three times: its row is the sum of three upstream rows.
        for (int j = 0; j < E; j++)
            Assert.Equal(upstream[j] + upstream[2 * E + j] + upstream[4 * E + j], grad[1 * E + j], 5);
        Assert.All(grad[0..E], g => Assert.Equal(0f, g));
    }

    [Fact]
    public void InitialisationIsStandardNormalAndSeeded()
    {
        using var a = new Embedding(200, 50, seed: 7);
        using var b = new Embedding(200, 50, seed: 7);
        using var c = new Embedding(200, 50, seed: 8);
        Assert.True(a.Weight.Values.SequenceEqual(b.Weight.Values));
        Assert.False(a.Weight.Values.SequenceEqual(c.Weight.Values));
        double mean = 0, sq = 0;
        foreach (float v in a.Weight.Values) { mean += v; sq += (double)v * v; }
        mean /= 10000; sq /= 10000;
        Assert.InRange(mean, -0.05, 0.05);
        Assert.InRange(Math.Sqrt(sq - mean * mean), 0.95, 1.05);
    }

    [Fact]
    public void PaddingRowIsZeroAndGetsNoGradient()
    {
        using var embedding = new Embedding(4, 2, paddingIndex: 0);
        Assert.Equal([0f, 0f], embedding.Weight.Values[..2].ToArray());
        embedding.Backward([0, 1], [1f, 1f, 1f, 1f]);
        Assert.Equal([0f, 0f, 1f, 1f], embedding.Weight.Grad[..4].ToArray());
    }

    [Fact]
    public void BadInputThrows()
    {
        using var embedding = new Embedding(5, 3);
        var o = Assert.Throws<ArgumentOutOfRangeException>(() => embedding.Forward([1, -3], new float[6]));
        Assert.Equal("ids", o.ParamName);
        Assert.Contains("ids[1] = -3", o.Message);
        o = Assert.Throws<ArgumentOutOfRangeException>(() => embedding.Backward([5], new float[3]));
        Assert.Contains("ids[0] = 5", o.Message);
        var e = Assert.Throws<ArgumentException>(() => embedding.Forward([1, 2], new float[5]));
        Assert.Equal("output", e.ParamName);
        Assert.Contains("(2, 3)", e.Message);
        e = Assert.Throws<ArgumentException>(() => embedding.Backward([1, 2], new float[7]));
        Assert.Equal("gradOutput", e.ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => new Embedding(5, 3, paddingIndex: 5));
    }
}
