using MklRnn.Layers;
using MklRnn.Modules;
using MklRnn.Training;

namespace MklRnn.Tests.Training;

/// <summary>End to end: a small LSTM + softmax head trained with BPTT, clipping and Adam learns a task that needs memory.</summary>
public class LearningTests
{
    /// <summary>
    /// Delayed recall: at every step the target is the symbol seen two steps earlier (the first two steps
    /// are ignored). Chance is ln 4 = 1.386 nats; an LSTM that learns to remember gets close to 0.
    /// </summary>
    [Fact]
    public void LstmLearnsDelayedRecall()
    {
        const int V = 4, T = 12, N = 32, H = 24, Delay = 2, Steps = 300;
        using var rnn = new RecurrentStack(new RnnConfig(CellKind.Lstm, V, H), seed: 1);
        using var head = new LinearSoftmaxHead(H, V, "head.", seed: 2);
        var parameters = rnn.Parameters.Concat(head.Parameters).ToList();
        using var adam = new Adam(parameters, learningRate: 0.01f);
        var rng = new Random(3);
        var x = new float[T * N * V];
        var targets = new int[T * N];
        var y = new float[T * N * H];
        var gy = new float[y.Length];
        var gx = new float[x.Length];
        float first = 0, last = 0;
        for (int step = 0; step < Steps; step++)
        {
            Array.Clear(x);
            var symbols = new int[T, N];
            for (int t = 0; t < T; t++)
                for (int n = 0; n < N; n++)
                {
                    symbols[t, n] = rng.Next(V);
                    x[(t * N + n) * V + symbols[t, n]] = 1f; // one-hot input
                    targets[t * N + n] = t >= Delay ? symbols[t - Delay, n] : -1;
                }
            adam.ZeroGrad();
            rnn.Forward(x, T, N, y, training: true);
            float loss = head.Loss(y, T * N, targets, LossReduction.Mean, gy, ignoreIndex: -1);
            rnn.Backward(gy, gx);
            GradientClipping.ClipByGlobalNorm(parameters, 5.0);
            adam.Step();
            if (step == 0) first = loss;
            last = loss;
        }
        Assert.InRange(first, 1.2f, 1.6f); // starts at chance
        Assert.True(last < 0.1f, $"loss after {Steps} steps: {last} (started at {first})");
    }
}
