using System.Globalization;
using MklRnn.Memory;

namespace MklRnn.Training;

/// <summary>
/// Adam with PyTorch's torch.optim.Adam / AdamW semantics. At step t (1-based):
/// with L2 weight decay (default) g = grad + weightDecay * p; with decoupled weight decay (AdamW)
/// p *= 1 - lr * weightDecay instead; then m = beta1 m + (1 - beta1) g, v = beta2 v + (1 - beta2) g²,
/// p -= (lr / (1 - beta1^t)) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps). State slots "m" and "v".
/// </summary>
public sealed class Adam : Optimizer
{
    private readonly NativeBuffer[] _m;
    private readonly NativeBuffer[] _v;

    public Adam(IReadOnlyList<Parameter> parameters, float learningRate = 1e-3f, float beta1 = 0.9f, float beta2 = 0.999f,
        float epsilon = 1e-8f, float weightDecay = 0f, bool decoupledWeightDecay = false)
        : base(parameters, learningRate)
    {
        if (!(beta1 >= 0 && beta1 < 1)) throw new ArgumentOutOfRangeException(nameof(beta1), beta1, "beta1 must be in [0, 1)");
        if (!(beta2 >= 0 && beta2 < 1)) throw new ArgumentOutOfRangeException(nameof(beta2), beta2, "beta2 must be in [0, 1)");
        if (!(epsilon >= 0) || !float.IsFinite(epsilon))
            throw new ArgumentOutOfRangeException(nameof(epsilon), epsilon, "epsilon must be finite and >= 0");
        if (!(weightDecay >= 0) || !float.IsFinite(weightDecay))
            throw new ArgumentOutOfRangeException(nameof(weightDecay), weightDecay, "weight decay must be finite and >= 0");
        Beta1 = beta1;
        Beta2 = beta2;
        Epsilon = epsilon;
        WeightDecay = weightDecay;
        DecoupledWeightDecay = decoupledWeightDecay;
        _m = AddStateSlot("m");
        _v = AddStateSlot("v");
    }

    /// <summary>AdamW: Adam with decoupled weight decay (PyTorch's default weight decay 0.01).</summary>
    public static Adam AdamW(IReadOnlyList<Parameter> parameters, float learningRate = 1e-3f, float weightDecay = 0.01f,
        float beta1 = 0.9f, float beta2 = 0.999f, float epsilon = 1e-8f) =>
        new(parameters, learningRate, beta1, beta2, epsilon, weightDecay, decoupledWeightDecay: true);

    public override string Kind => "adam";
    public float Beta1 { get; }
    public float Beta2 { get; }
    public float Epsilon { get; }
    public float WeightDecay { get; }

    /// <summary>true: AdamW's decoupled decay; false: L2 decay added to the gradient.</summary>
    public bool DecoupledWeightDecay { get; }

    protected override void Update(int index, Span<float> p, ReadOnlySpan<float> grad, float lr)
    {
        Span<float> m = _m[index].Span, v = _v[index].Span;
        // Scalars in double, as PyTorch computes them in Python.
        double biasCorrection1 = 1 - Math.Pow(Beta1, StepCount);
        double biasCorrection2 = 1 - Math.Pow(Beta2, StepCount);
        float stepSize = (float)(lr / biasCorrection1);
        float invSqrtBc2 = (float)(1 / Math.Sqrt(biasCorrection2));
        float b1 = 1f - Beta1, b2 = Beta2, ob2 = 1f - Beta2, eps = Epsilon;
        float l2 = DecoupledWeightDecay ? 0f : WeightDecay;
        float decay = DecoupledWeightDecay ? (float)(1 - (double)lr * WeightDecay) : 1f;
        for (int j = 0; j < p.Length; j++)
        {
            float value = p[j];
            float g = l2 != 0 ? grad[j] + l2 * value : grad[j];
            if (decay != 1f) value *= decay;
            float mj = m[j] + b1 * (g - m[j]);
            float vj = b2 * v[j] + ob2 * g * g;
            m[j] = mj;
            v[j] = vj;
            p[j] = value - stepSize * mj / (MathF.Sqrt(vj) * invSqrtBc2 + eps);
        }
    }

    protected override void SaveHyperparameters(IDictionary<string, string> metadata)
    {
        metadata["optimizer.adam.beta1"] = Beta1.ToString("R", CultureInfo.InvariantCulture);
        metadata["optimizer.adam.beta2"] = Beta2.ToString("R", CultureInfo.InvariantCulture);
        metadata["optimizer.adam.eps"] = Epsilon.ToString("R", CultureInfo.InvariantCulture);
        metadata["optimizer.adam.weight_decay"] = WeightDecay.ToString("R", CultureInfo.InvariantCulture);
        metadata["optimizer.adam.decoupled_weight_decay"] = DecoupledWeightDecay ? "1" : "0";
    }
}
