using MklRnn.Modules;
using MklRnn.Training;

namespace MklRnn.Tests.Training;

public class LinearSoftmaxHeadTests
{
    private const int H = 5, V = 7, Rows = 6;

    private static (LinearSoftmaxHead Head, float[] Hidden, int[] Targets) Setup(int seed = 1)
    {
        var random = new Random(seed);
        var head = new LinearSoftmaxHead(H, V, "head.", seed);
        float[] hidden = Reference.RandomFloats(random, Rows * H, 2f);
        int[] targets = [3, -1, 0, 6, -1, 2]; // two padding rows
        return (head, hidden, targets);
    }

    [Theory]
    [InlineData(LossReduction.Mean)]
    [InlineData(LossReduction.Sum)]
    public void GradientsMatchFiniteDifferencesWithIgnoredRows(LossReduction reduction)
    {
        var (head, hiddenF, targets) = Setup();
        using var _ = head;
        double[] hidden = Reference.ToDouble(hiddenF);
        double[] w = Reference.ToDouble(head.Weight.Values);
        double[] b = Reference.ToDouble(head.Bias.Values);
        double Loss() => Reference.CrossEntropy(hidden, w, b, targets, Rows, H, V, reduction);

        var gradHidden = new float[Rows * H];
        float loss = head.Loss(hiddenF, Rows, targets, reduction, gradHidden);
        Reference.Near(Loss(), loss, 1e-6, 1e-5, "loss");
        Assert.Equal(4, head.LastTokenCount);

        for (int i = 0; i < hidden.Length; i++)
            Reference.Near(Reference.Derivative(Loss, hidden, i), gradHidden[i], 1e-5, 1e-4, $"grad_hidden[{i}]");
        for (int r = 0; r < Rows; r++)
            if (targets[r] == -1)
                for (int h = 0; h < H; h++) Assert.Equal(0f, gradHidden[r * H + h]);
        for (int i = 0; i < w.Length; i++)
            Reference.Near(Reference.Derivative(Loss, w, i), head.Weight.Grad[i], 1e-5, 1e-4, $"grad.weight[{i}]");
        for (int i = 0; i < b.Length; i++)
            Reference.Near(Reference.Derivative(Loss, b, i), head.Bias.Grad[i], 1e-5, 1e-4, $"grad.bias[{i}]");
    }

    [Fact]
    public void MeanAndSumAndPerplexityAgree()
    {
        var (head, hidden, targets) = Setup(2);
        using var _ = head;
        float mean = head.Loss(hidden, Rows, targets, LossReduction.Mean, default);
        LossResult meanResult = head.LastResult;
        float sum = head.Loss(hidden, Rows, targets, LossReduction.Sum, default);
        Assert.Equal(sum / 4, mean, 5);
        Assert.Equal(meanResult.TokenLossSum, head.LastResult.TokenLossSum, 10);
        Assert.Equal(Math.Exp(mean), head.LastResult.Perplexity, 4);
        Assert.Equal(head.LastResult.Perplexity, meanResult.Perplexity, 10);
    }

    [Fact]
    public void GradientsAccumulateAndEvaluateTouchesNone()
    {
        var (head, hidden, targets) = Setup(3);
        using var _ = head;
        head.Loss(hidden, Rows, targets, LossReduction.Mean, default);
        float[] once = head.Weight.Grad.ToArray();
        float[] onceBias = head.Bias.Grad.ToArray();
        head.Loss(hidden, Rows, targets, LossReduction.Mean, default);
        for (int i = 0; i < once.Length; i++) Assert.Equal(2 * once[i], head.Weight.Grad[i], 5);
        for (int i = 0; i < onceBias.Length; i++) Assert.Equal(2 * onceBias[i], head.Bias.Grad[i], 5);

        head.ZeroGrad();
        LossResult eval = head.Evaluate(hidden, Rows, targets);
        Assert.All(head.Weight.Grad.ToArray(), g => Assert.Equal(0f, g));
        Assert.All(head.Bias.Grad.ToArray(), g => Assert.Equal(0f, g));
        Assert.Equal(4, eval.TokenCount);
    }

    [Fact]
    public void LogitsAreLinear()
    {
        var (head, hidden, _) = Setup(4);
        using var __ = head;
        var logits = new float[Rows * V];
        head.Logits(hidden, Rows, logits);
        for (int r = 0; r < Rows; r++)
            for (int v = 0; v < V; v++)
            {
                double want = head.Bias.Values[v];
                for (int h = 0; h < H; h++) want += (double)hidden[r * H + h] * head.Weight.Values[v * H + h];
                Assert.Equal(want, logits[r * V + v], 5);
            }
    }

    [Fact]
    public void LargeLogitsStayFinite()
    {
        using var head = new LinearSoftmaxHead(1, 3);
        head.Weight.Data[0] = 1000f; head.Weight.Data[1] = -1000f; head.Weight.Data[2] = 999f;
        head.Bias.Data.Clear();
        var grad = new float[2];
        float loss = head.Loss([100f, 100f], 2, [0, 1], LossReduction.Sum, grad);
        Assert.True(float.IsFinite(loss));
        Assert.True(float.IsFinite(grad[0]) && float.IsFinite(grad[1]));
        Assert.Equal(200000f, loss, 0); // row 0 costs ~0, row 1 costs 100000 - (-100000)
    }

    [Fact]
    public void AllRowsIgnoredGivesZero()
    {
        var (head, hidden, _) = Setup(5);
        using var __ = head;
        var grad = Enumerable.Repeat(1f, Rows * H).ToArray();
        float loss = head.Loss(hidden, Rows, Enumerable.Repeat(-100, Rows).ToArray(), LossReduction.Mean, grad, ignoreIndex: -100);
        Assert.Equal(0f, loss);
        Assert.Equal(0, head.LastTokenCount);
        Assert.All(grad, g => Assert.Equal(0f, g));
        Assert.All(head.Weight.Grad.ToArray(), g => Assert.Equal(0f, g));
    }

    [Fact]
    public void SteadyStateLossAllocatesNothing()
    {
        var (head, hidden, targets) = Setup(6);
        using var _ = head;
        var grad = new float[Rows * H];
        for (int i = 0; i < 3; i++) head.Loss(hidden, Rows, targets, LossReduction.Mean, grad);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 10; i++) head.Loss(hidden, Rows, targets, LossReduction.Mean, grad);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void BadInputThrowsNamingTheArgument()
    {
        var (head, hidden, targets) = Setup(7);
        using var _ = head;
        var e = Assert.Throws<ArgumentException>(() => head.Loss(hidden.AsSpan(1), Rows, targets, LossReduction.Mean, default));
        Assert.Equal("hidden", e.ParamName);
        Assert.Contains("(6, 5)", e.Message);
        Assert.Contains("29", e.Message);

        e = Assert.Throws<ArgumentException>(() => head.Loss(hidden, Rows, targets, LossReduction.Mean, new float[3]));
        Assert.Equal("gradHidden", e.ParamName);

        e = Assert.Throws<ArgumentException>(() => head.Loss(hidden, Rows, targets.AsSpan(1), LossReduction.Mean, default));
        Assert.Equal("targets", e.ParamName);

        var o = Assert.Throws<ArgumentOutOfRangeException>(() => head.Loss(hidden, Rows, [0, 1, 2, 7, 0, 0], LossReduction.Mean, default));
        Assert.Equal("targets", o.ParamName);
        Assert.Contains("targets[3] = 7", o.Message);
        Assert.All(head.Weight.Grad.ToArray(), g => Assert.Equal(0f, g)); // nothing happened

        e = Assert.Throws<ArgumentException>(() => head.Logits(hidden, Rows, new float[Rows * V - 1]));
        Assert.Equal("logits", e.ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => head.Loss(hidden, Rows, targets, (LossReduction)7, default));
        Assert.Throws<ArgumentOutOfRangeException>(() => new LinearSoftmaxHead(0, 3));
    }
}
