using MklRnn.Layers;

namespace MklRnn.Tests.Layers;

/// <summary>
/// Backward on plain time-major batches reads gradOutput and writes gradInput in place; when the caller
/// passes one buffer for both (I = H), it must fall back to copies and give the same gradients.
/// </summary>
public class InPlaceBackwardTests
{
    [Theory]
    [InlineData(CellKind.Gru, false)]
    [InlineData(CellKind.Gru, true)]
    [InlineData(CellKind.Lstm, true)]
    public void OneBufferForGradOutputAndGradInputGivesTheSameGradients(CellKind cell, bool bidirectional)
    {
        const int T = 5, N = 3, I = 8;
        int H = bidirectional ? I / 2 : I; // output width D*H equals the input width
        var config = new RnnConfig(cell, I, H, numLayers: 1, bidirectional: bidirectional);
        using var separate = new RecurrentStack(config, seed: 3);
        using var shared = new RecurrentStack(config, seed: 3);
        var rng = new Random(7);
        float[] x = TestValues.Rand(rng, T * N * I);
        float[] dy = TestValues.Rand(rng, T * N * I);
        float[] y = new float[dy.Length];

        separate.Forward(x, T, N, y, training: true);
        float[] dx = new float[x.Length];
        separate.Backward(dy, dx);

        shared.Forward(x, T, N, y, training: true);
        float[] both = (float[])dy.Clone();
        shared.Backward(both, both);

        Assert.Contains(dx, v => v != 0f);
        Assert.Equal(dx, both, new ToleranceComparer(1e-6f));
        for (int p = 0; p < separate.Parameters.Count; p++)
            Assert.Equal(separate.Parameters[p].Grad.ToArray(), shared.Parameters[p].Grad.ToArray());
    }
}
