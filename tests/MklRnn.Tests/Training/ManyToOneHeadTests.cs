using MklRnn.Modules;
using MklRnn.Training;

namespace MklRnn.Tests.Training;

public class ManyToOneHeadTests
{
    [Fact]
    public void GradientMatchesFiniteDifferencesAndIsZeroOffTheLastSteps()
    {
        const int T = 4, N = 3, H = 5, C = 4;
        var random = new Random(11);
        using var head = new ManyToOneHead(H, C, "classifier.", seed: 3);
        float[] outputF = Reference.RandomFloats(random, T * N * H, 1.5f);
        int[] lengths = [4, 1, 3];
        int[] targets = [2, 0, 3];
        var gradOutput = Enumerable.Repeat(9f, T * N * H).ToArray();
        float loss = head.Loss(outputF, T, N, lengths, targets, LossReduction.Mean, gradOutput);

        double[] output = Reference.ToDouble(outputF);
        double[] w = Reference.ToDouble(head.Head.Weight.Values);
        double[] b = Reference.ToDouble(head.Head.Bias.Values);
        double Loss()
        {
            var rows = new double[N * H];
            for (int n = 0; n < N; n++)
                for (int h = 0; h < H; h++) rows[n * H + h] = output[((lengths[n] - 1) * N + n) * H + h];
            return Reference.CrossEntropy(rows, w, b, targets, N, H, C, LossReduction.Mean);
        }
        Reference.Near(Loss(), loss, 1e-6, 1e-5, "loss");
        for (int i = 0; i < output.Length; i++)
            Reference.Near(Reference.Derivative(Loss, output, i), gradOutput[i], 1e-6, 1e-4, $"grad_output[{i}]");
        for (int i = 0; i < w.Length; i++)
            Reference.Near(Reference.Derivative(Loss, w, i), head.Head.Weight.Grad[i], 1e-6, 1e-4, $"grad.weight[{i}]");
        for (int i = 0; i < b.Length; i++)
            Reference.Near(Reference.Derivative(Loss, b, i), head.Head.Bias.Grad[i], 1e-6, 1e-4, $"grad.bias[{i}]");
        // Only the three last-step rows carry gradient.
        int nonZeroRows = 0;
        for (int r = 0; r < T * N; r++)
            if (gradOutput.AsSpan(r * H, H).ContainsAnyExcept(0f)) nonZeroRows++;
        Assert.Equal(3, nonZeroRows);
        Assert.Equal("classifier.weight", head.Parameters[0].Name);
    }

    [Fact]
    public void WithoutLengthsUsesTheLastStep()
    {
        const int T = 3, N = 2, H = 2, C = 3;
        using var head = new ManyToOneHead(H, C);
        float[] output = Reference.RandomFloats(new Random(5), T * N * H);
        var logits = new float[N * C];
        head.Logits(output, T, N, default, logits);
        var direct = new float[N * C];
        head.Head.Logits(output.AsSpan((T - 1) * N * H, N * H), N, direct);
        Assert.Equal(direct, logits);
    }

    [Fact]
    public void BadLengthsThrow()
    {
        using var head = new ManyToOneHead(2, 3);
        var output = new float[3 * 2 * 2];
        var o = Assert.Throws<ArgumentOutOfRangeException>(() => head.Loss(output, 3, 2, [1, 4], [0, 0], LossReduction.Mean, default));
        Assert.Equal("lengths", o.ParamName);
        Assert.Contains("lengths[1] = 4", o.Message);
        var e = Assert.Throws<ArgumentException>(() => head.Loss(output, 3, 2, [1], [0, 0], LossReduction.Mean, default));
        Assert.Equal("lengths", e.ParamName);
        e = Assert.Throws<ArgumentException>(() => head.Loss(output, 3, 2, default, [0, 0], LossReduction.Mean, new float[5]));
        Assert.Equal("gradOutput", e.ParamName);
        e = Assert.Throws<ArgumentException>(() => head.Loss(output.AsSpan(2), 3, 2, default, [0, 0], LossReduction.Mean, default));
        Assert.Equal("output", e.ParamName);
        o = Assert.Throws<ArgumentOutOfRangeException>(() => head.Loss(output, 3, 2, default, [0, 3], LossReduction.Mean, default));
        Assert.Equal("targets", o.ParamName);
    }
}
