using MklRnn.Training;

namespace MklRnn.Tests.Training;

public class OptimizerTests
{
    // A tiny quadratic: loss = 0.5 * sum(a_i * p_i^2), grad = a_i * p_i.
    private static readonly double[] A = [1.0, 2.0, 0.5];
    private static readonly float[] P0 = [1.0f, -2.0f, 3.0f];

    private static Parameter NewParameter(string name = "p")
    {
        var p = new Parameter(name, 3);
        P0.CopyTo(p.Data);
        return p;
    }

    private static void SetGrad(Parameter p)
    {
        for (int i = 0; i < 3; i++) p.Grad[i] = (float)(A[i] * p.Values[i]);
    }

    private static void AssertNear(double[] want, ReadOnlySpan<float> got, double tol = 1e-5)
    {
        for (int i = 0; i < want.Length; i++) Reference.Near(want[i], got[i], tol, tol, $"p[{i}]");
    }

    [Theory]
    [InlineData(0f, 0f, 0f, false)]
    [InlineData(0.9f, 0f, 0f, false)]
    [InlineData(0.9f, 0f, 0.01f, true)]
    [InlineData(0.5f, 0.1f, 0.1f, false)]
    public void SgdFollowsPyTorch(float momentum, float dampening, float weightDecay, bool nesterov)
    {
        using var p = NewParameter();
        using var sgd = new Sgd([p], 0.1f, momentum, dampening, weightDecay, nesterov);
        double lr = 0.1;
        double[] x = P0.Select(v => (double)v).ToArray();
        var buf = new double[3];
        for (int step = 1; step <= 4; step++)
        {
            SetGrad(p);
            sgd.Step();
            for (int i = 0; i < 3; i++)
            {
                double g = A[i] * x[i] + weightDecay * x[i];
                if (momentum != 0)
                {
                    buf[i] = step == 1 ? g : momentum * buf[i] + (1 - dampening) * g;
                    g = nesterov ? g + momentum * buf[i] : buf[i];
                }
                x[i] -= lr * g;
            }
            AssertNear(x, p.Values);
        }
        Assert.Equal(4, sgd.StepCount);
    }

    [Theory]
    [InlineData(0f, false)]
    [InlineData(0.1f, false)]
    [InlineData(0.1f, true)]
    public void AdamFollowsPyTorch(float weightDecay, bool decoupled)
    {
        using var p = NewParameter();
        using var adam = new Adam([p], 0.05f, 0.9f, 0.999f, 1e-8f, weightDecay, decoupled);
        double lr = 0.05, b1 = 0.9, b2 = 0.999, eps = 1e-8;
        double[] x = P0.Select(v => (double)v).ToArray();
        var m = new double[3];
        var v = new double[3];
        for (int t = 1; t <= 5; t++)
        {
            SetGrad(p);
            adam.Step();
            for (int i = 0; i < 3; i++)
            {
                double g = A[i] * x[i];
                if (decoupled) x[i] *= 1 - lr * weightDecay;
                else g += weightDecay * x[i];
                m[i] = b1 * m[i] + (1 - b1) * g;
                v[i] = b2 * v[i] + (1 - b2) * g * g;
                double mHat = m[i] / (1 - Math.Pow(b1, t));
                double denom = Math.Sqrt(v[i]) / Math.Sqrt(1 - Math.Pow(b2, t)) + eps;
                x[i] -= lr * mHat / denom;
            }
            AssertNear(x, p.Values);
        }
    }

    [Fact]
    public void AdamWFactoryIsDecoupled()
    {
        using var p = NewParameter();
        using var adamw = Adam.AdamW([p]);
        Assert.True(adamw.DecoupledWeightDecay);
        Assert.Equal(0.01f, adamw.WeightDecay);
    }

    [Fact]
    public void StepMarksParametersModified()
    {
        using var p = NewParameter();
        using var sgd = new Sgd([p], 0.1f);
        int before = p.Version;
        SetGrad(p);
        sgd.Step();
        Assert.True(p.Version > before);
    }

    [Fact]
    public void ZeroGradClearsGradients()
    {
        using var p = NewParameter();
        using var sgd = new Sgd([p], 0.1f);
        SetGrad(p);
        sgd.ZeroGrad();
        Assert.All(p.Grad.ToArray(), g => Assert.Equal(0f, g));
    }

    [Fact]
    public void SchedulesDriveTheLearningRate()
    {
        var step = new StepDecaySchedule(1f, 2, 0.5f);
        Assert.Equal([1f, 1f, 0.5f, 0.5f, 0.25f], Enumerable.Range(0, 5).Select(s => step.LearningRateAt(s)));
        var cosine = new CosineSchedule(1f, 10, 0.1f);
        Assert.Equal(1f, cosine.LearningRateAt(0), 6);
        Assert.Equal(0.55f, cosine.LearningRateAt(5), 6);
        Assert.Equal(0.1f, cosine.LearningRateAt(10), 6);
        Assert.Equal(0.1f, cosine.LearningRateAt(50), 6);
        var warm = new WarmupSchedule(new ConstantSchedule(0.4f), 4);
        Assert.Equal([0.1f, 0.2f, 0.3f, 0.4f, 0.4f], Enumerable.Range(0, 5).Select(s => warm.LearningRateAt(s)));

        using var p = NewParameter();
        using var sgd = new Sgd([p], 123f) { Schedule = step };
        var seen = new List<float>();
        for (int i = 0; i < 5; i++)
        {
            p.ZeroGrad();
            p.Grad[0] = 1f; // p[0] moves by exactly -lr
            float before = p.Values[0];
            sgd.Step();
            seen.Add(sgd.LearningRate);
            Assert.Equal(before - sgd.LearningRate, p.Values[0], 6);
        }
        Assert.Equal([1f, 1f, 0.5f, 0.5f, 0.25f], seen);
    }

    [Theory]
    [InlineData("adam")]
    [InlineData("sgd")]
    public void StateRoundTripContinuesIdentically(string kind)
    {
        Optimizer Create(Parameter q) => kind == "adam"
            ? new Adam([q], 0.05f, weightDecay: 0.01f)
            : new Sgd([q], 0.05f, momentum: 0.9f, nesterov: true);

        using var p = NewParameter("layer.weight");
        using var opt = Create(p);
        for (int i = 0; i < 3; i++) { SetGrad(p); opt.Step(); }

        var tensors = new Dictionary<string, float[]>();
        var metadata = new Dictionary<string, string>();
        opt.SaveState(tensors, metadata);
        float[] saved = p.Values.ToArray();
        Assert.Equal("3", metadata[Optimizer.StepKey]);
        Assert.Equal(kind, metadata[Optimizer.KindKey]);
        if (kind == "adam")
        {
            Assert.True(tensors.ContainsKey("optimizer.adam.m.layer.weight"));
            Assert.True(tensors.ContainsKey("optimizer.adam.v.layer.weight"));
        }
        else Assert.True(tensors.ContainsKey("optimizer.sgd.momentum.layer.weight"));

        for (int i = 0; i < 3; i++) { SetGrad(p); opt.Step(); }
        float[] continued = p.Values.ToArray();

        using var q = NewParameter("layer.weight");
        saved.CopyTo(q.Data);
        using var restored = Create(q);
        restored.LoadState(tensors, metadata);
        Assert.Equal(3, restored.StepCount);
        for (int i = 0; i < 3; i++) { SetGrad(q); restored.Step(); }
        Assert.Equal(continued, q.Values.ToArray());
    }

    [Fact]
    public void LoadStateRejectsMismatchedState()
    {
        using var p = NewParameter("w");
        using var adam = new Adam([p]);
        var tensors = new Dictionary<string, float[]>();
        var metadata = new Dictionary<string, string>();
        adam.SaveState(tensors, metadata);

        using var sgd = new Sgd([p], 0.1f, momentum: 0.9f);
        var e = Assert.Throws<ArgumentException>(() => sgd.LoadState(tensors, metadata));
        Assert.Equal("metadata", e.ParamName);

        tensors["optimizer.adam.v.w"] = new float[2];
        e = Assert.Throws<ArgumentException>(() => adam.LoadState(tensors, metadata));
        Assert.Equal("tensors", e.ParamName);
        Assert.Contains("optimizer.adam.v.w", e.Message);

        tensors.Remove("optimizer.adam.v.w");
        e = Assert.Throws<ArgumentException>(() => adam.LoadState(tensors, metadata));
        Assert.Contains("missing", e.Message);
    }

    [Fact]
    public void BadArgumentsThrow()
    {
        using var p = NewParameter("w");
        using var twin = NewParameter("w");
        Assert.Throws<ArgumentException>(() => new Sgd([p, twin], 0.1f));
        Assert.Throws<ArgumentException>(() => new Sgd([p], 0.1f, nesterov: true));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Sgd([p], -1f));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Adam([p], beta1: 1f));
    }

    [Fact]
    public void AdamMinimisesLeastSquares()
    {
        // min ||X w + c - y||^2 / n over w (3) and c (1), y generated from known weights.
        const int n = 32;
        var random = new Random(42);
        float[] x = Reference.RandomFloats(random, n * 3);
        double[] trueW = [1.5, -2.0, 0.7];
        var y = new double[n];
        for (int r = 0; r < n; r++) y[r] = 0.3 + trueW[0] * x[r * 3] + trueW[1] * x[r * 3 + 1] + trueW[2] * x[r * 3 + 2];

        using var w = new Parameter("w", 3);
        using var c = new Parameter("c", 1);
        using var adam = new Adam([w, c], 0.05f);
        double Loss(bool withGrad)
        {
            double loss = 0;
            for (int r = 0; r < n; r++)
            {
                double pred = c.Values[0];
                for (int j = 0; j < 3; j++) pred += w.Values[j] * x[r * 3 + j];
                double err = pred - y[r];
                loss += err * err / n;
                if (!withGrad) continue;
                c.Grad[0] += (float)(2 * err / n);
                for (int j = 0; j < 3; j++) w.Grad[j] += (float)(2 * err / n * x[r * 3 + j]);
            }
            return loss;
        }
        double initial = Loss(false);
        for (int i = 0; i < 600; i++)
        {
            adam.ZeroGrad();
            Loss(true);
            adam.Step();
        }
        double final = Loss(false);
        Assert.True(initial > 1, $"initial loss {initial}");
        Assert.True(final < 1e-4, $"final loss {final}");
        for (int j = 0; j < 3; j++) Assert.Equal(trueW[j], w.Values[j], 2);
    }
}
