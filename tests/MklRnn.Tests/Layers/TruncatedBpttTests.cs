using MklRnn.Layers;

namespace MklRnn.Tests.Layers;

/// <summary>
/// Truncated BPTT: a long sequence fed in chunks with the state carried forward computes the same
/// outputs as one call; backward per chunk with the state gradient handed back reproduces full BPTT,
/// and dropping that hand-back (the truncation) is what cuts the gradient at chunk boundaries.
/// </summary>
public class TruncatedBpttTests
{
    [Fact]
    public void ChunksWithCarriedStateEqualTheWholeSequence()
    {
        var config = new RnnConfig(CellKind.Lstm, 3, 5, numLayers: 2);
        using var stack = new RecurrentStack(config, seed: 4);
        const int T = 8, K = 4, N = 2, L = 2, H = 5;
        var rng = new Random(9);
        float[] x = TestValues.Rand(rng, T * N * 3);
        float[] gy = TestValues.Rand(rng, T * N * H);

        var y = new float[T * N * H];
        stack.ZeroGrad();
        stack.Forward(x, T, N, y, training: true);
        stack.Backward(gy, new float[x.Length]);
        float[][] full = stack.Parameters.Select(p => p.Grad.ToArray()).ToArray();

        // Chunk 1 then chunk 2 from chunk 1's final state.
        using var second = new RecurrentStack(config, seed: 4);
        var h1 = new float[L * N * H];
        var c1 = new float[L * N * H];
        var yChunks = new float[y.Length];
        stack.ZeroGrad();
        second.ZeroGrad();
        stack.Forward(x.AsSpan(0, K * N * 3), K, N, yChunks.AsSpan(0, K * N * H), hN: h1, cN: c1, training: true);
        second.Forward(x.AsSpan(K * N * 3), K, N, yChunks.AsSpan(K * N * H), h0: h1, c0: c1, training: true);
        Assert.Equal(y, yChunks, new ToleranceComparer(1e-5f));

        // Chunk 2's backward yields the gradient w.r.t. its initial state; truncation drops it.
        var gh = new float[h1.Length];
        var gc = new float[c1.Length];
        second.Backward(gy.AsSpan(K * N * H), new float[K * N * 3], gradH0: gh, gradC0: gc);
        Assert.Contains(gh, v => Math.Abs(v) > 1e-4);
        // Handing it back to chunk 1 reproduces full BPTT exactly; not handing it back differs.
        stack.Backward(gy.AsSpan(0, K * N * H), new float[K * N * 3], gradHn: gh, gradCn: gc);
        for (int i = 0; i < full.Length; i++)
        {
            float[] sum = stack.Parameters[i].Grad.ToArray().Zip(second.Parameters[i].Grad.ToArray(), (a, b) => a + b).ToArray();
            Assert.Equal(full[i], sum, new ToleranceComparer(1e-4f));
        }
        stack.ZeroGrad();
        stack.Forward(x.AsSpan(0, K * N * 3), K, N, new float[K * N * H], training: true);
        stack.Backward(gy.AsSpan(0, K * N * H), new float[K * N * 3]);
        float[] truncated = stack.Parameters[1].Grad.ToArray().Zip(second.Parameters[1].Grad.ToArray(), (a, b) => a + b).ToArray();
        Assert.NotEqual(full[1], truncated, new ToleranceComparer(1e-4f));
    }
}
