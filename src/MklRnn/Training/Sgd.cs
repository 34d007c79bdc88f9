using System.Globalization;
using MklRnn.Memory;

namespace MklRnn.Training;

/// <summary>
/// Stochastic gradient descent with PyTorch's torch.optim.SGD semantics:
/// g = grad + weightDecay * p; with momentum, buf = g on the first step and
/// buf = momentum * buf + (1 - dampening) * g after, then g = g + momentum * buf (Nesterov) or g = buf;
/// finally p -= lr * g. State slot "momentum" (only when momentum != 0).
/// </summary>
public sealed class Sgd : Optimizer
{
    private readonly NativeBuffer[]? _momentum;

    public Sgd(IReadOnlyList<Parameter> parameters, float learningRate, float momentum = 0f, float dampening = 0f,
        float weightDecay = 0f, bool nesterov = false)
        : base(parameters, learningRate)
    {
        if (!(momentum >= 0) || !float.IsFinite(momentum))
            throw new ArgumentOutOfRangeException(nameof(momentum), momentum, "momentum must be finite and >= 0");
        if (!float.IsFinite(dampening))
            throw new ArgumentOutOfRangeException(nameof(dampening), dampening, "dampening must be finite");
        if (!(weightDecay >= 0) || !float.IsFinite(weightDecay))
            throw new ArgumentOutOfRangeException(nameof(weightDecay), weightDecay, "weight decay must be finite and >= 0");
        if (nesterov && (momentum <= 0 || dampening != 0))
            throw new ArgumentException("Nesterov momentum requires momentum > 0 and dampening = 0", nameof(nesterov));
        Momentum = momentum;
        Dampening = dampening;
        WeightDecay = weightDecay;
        Nesterov = nesterov;
        if (momentum != 0) _momentum = AddStateSlot("momentum");
    }

    public override string Kind => "sgd";
    public float Momentum { get; }
    public float Dampening { get; }
    public float WeightDecay { get; }
    public bool Nesterov { get; }

    protected override void Update(int index, Span<float> p, ReadOnlySpan<float> grad, float lr)
    {
        float wd = WeightDecay, mu = Momentum, damp = 1f - Dampening;
        Span<float> buf = _momentum == null ? default : _momentum[index].Span;
        bool first = StepCount == 1;
        for (int j = 0; j < p.Length; j++)
        {
            float g = wd != 0 ? grad[j] + wd * p[j] : grad[j];
            if (_momentum != null)
            {
                float b = first ? g : mu * buf[j] + damp * g;
                buf[j] = b;
                g = Nesterov ? g + mu * b : b;
            }
            p[j] -= lr * g;
        }
    }

    protected override void SaveHyperparameters(IDictionary<string, string> metadata)
    {
        metadata["optimizer.sgd.momentum"] = Momentum.ToString("R", CultureInfo.InvariantCulture);
        metadata["optimizer.sgd.dampening"] = Dampening.ToString("R", CultureInfo.InvariantCulture);
        metadata["optimizer.sgd.weight_decay"] = WeightDecay.ToString("R", CultureInfo.InvariantCulture);
        metadata["optimizer.sgd.nesterov"] = Nesterov ? "1" : "0";
    }
}
