using MklRnn.Layers;

namespace MklRnn.Tests.Layers;

/// <summary>The stepped API (decoders) computes what a whole-sequence forward/backward computes.</summary>
public class SteppedStackTests
{
    [Theory]
    [InlineData(CellKind.Lstm, 0)]
    [InlineData(CellKind.Lstm, 3)]
    [InlineData(CellKind.Gru, 0)]
    [InlineData(CellKind.RnnTanh, 0)]
    public void StepsMatchWholeSequence(CellKind cell, int proj)
    {
        var config = new RnnConfig(cell, 4, 6, numLayers: 2) { ProjSize = proj };
        using var stack = new RecurrentStack(config, seed: 7);
        const int T = 5, N = 3;
        var rng = new Random(3);
        int P = config.OutputHiddenSize, L = 2;
        float[] x = TestValues.Rand(rng, T * N * 4);
        float[] h0 = TestValues.Rand(rng, L * N * P);
        float[] c0 = cell == CellKind.Lstm ? TestValues.Rand(rng, L * N * 6) : [];
        float[] gy = TestValues.Rand(rng, T * N * P);

        var y = new float[T * N * P];
        var hN = new float[L * N * P];
        stack.Forward(x, T, N, y, h0, c0, hN, training: true);
        var gx = new float[x.Length];
        var gh0 = new float[h0.Length];
        stack.ZeroGrad();
        stack.Backward(gy, gx, gradH0: gh0);
        float[][] grads = stack.Parameters.Select(p => p.Grad.ToArray()).ToArray();

        stack.ZeroGrad();
        stack.BeginSteps(N, T, h0, c0, training: true);
        var ySteps = new float[y.Length];
        for (int t = 0; t < T; t++)
            stack.Step(x.AsSpan(t * N * 4, N * 4), ySteps.AsSpan(t * N * P, N * P));
        var hSteps = new float[hN.Length];
        stack.CopyState(hSteps, cell == CellKind.Lstm ? new float[L * N * 6] : default);
        AssertClose(y, ySteps, "output");
        AssertClose(hN, hSteps, "h_n");

        stack.BeginStepsBackward();
        var gxSteps = new float[gx.Length];
        for (int t = T - 1; t >= 0; t--)
            stack.BackwardStep(gy.AsSpan(t * N * P, N * P), gxSteps.AsSpan(t * N * 4, N * 4));
        var gh0Steps = new float[gh0.Length];
        stack.EndStepsBackward(gh0Steps);
        AssertClose(gx, gxSteps, "grad_input");
        AssertClose(gh0, gh0Steps, "grad_h0");
        for (int i = 0; i < grads.Length; i++) AssertClose(grads[i], stack.Parameters[i].Grad.ToArray(), stack.Parameters[i].Name);
    }

    [Fact]
    public void SteppedMisuseIsReported()
    {
        using var stack = new RecurrentStack(new RnnConfig(CellKind.Gru, 2, 3));
        Assert.Throws<InvalidOperationException>(() => stack.Step(new float[2], new float[3]));
        stack.BeginSteps(1, 2, training: true);
        stack.Step(new float[2], new float[3]);
        stack.Step(new float[2], new float[3]);
        Assert.Throws<InvalidOperationException>(() => stack.Step(new float[2], new float[3]));
        Assert.Throws<InvalidOperationException>(() => stack.Backward(new float[6], new float[4]));
        stack.BeginStepsBackward();
        stack.BackwardStep(new float[3], new float[2]);
        Assert.Throws<InvalidOperationException>(() => stack.EndStepsBackward());
        stack.BackwardStep(new float[3], new float[2]);
        Assert.Throws<InvalidOperationException>(() => stack.BackwardStep(new float[3], new float[2]));
        stack.EndStepsBackward();
        Assert.Throws<InvalidOperationException>(() => stack.BeginStepsBackward());
        using var bi = new RecurrentStack(new RnnConfig(CellKind.Gru, 2, 3, bidirectional: true));
        Assert.Throws<InvalidOperationException>(() => bi.BeginSteps(1, 2));
    }

    private static void AssertClose(float[] want, float[] got, string what)
    {
        for (int i = 0; i < want.Length; i++)
            Assert.True(Math.Abs(want[i] - got[i]) <= 1e-5 + 1e-4 * Math.Abs(want[i]), $"{what}[{i}]: {got[i]} vs {want[i]}");
    }
}
