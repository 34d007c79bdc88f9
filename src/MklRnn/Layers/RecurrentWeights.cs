using MklRnn.Cells;

namespace MklRnn.Layers;

/// <summary>
/// The weights of a recurrent stack (PyTorch names, layer by layer, forward direction first) and their
/// packed GEMM forms, shareable by many <see cref="RecurrentStack"/> sessions at once: each session
/// (<see cref="CreateSession"/>, one per thread) owns its work buffers and reads these weights, packed
/// once (repacked, under a lock, only when a parameter changed or a call needs more rows). Sessions
/// give bit-identical results to one stack running the same calls one after another.
/// Contract: the parameters must not change while sessions run on them, and the weights must outlive
/// their sessions (dispose the sessions first).
/// </summary>
public sealed class RecurrentWeights : IParameterized, IDisposable
{
    private readonly Parameter[] _parameters;

    /// <param name="config">The architecture.</param>
    /// <param name="seed">Seed of PyTorch's default initialisation.</param>
    /// <param name="namePrefix">Prepended to every parameter name (e.g. "encoder.rnn.").</param>
    public RecurrentWeights(RnnConfig config, int seed = 0, string namePrefix = "")
    {
        ArgumentNullException.ThrowIfNull(namePrefix);
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        Config = config;
        int D = config.Directions, L = config.NumLayers;
        Directions = new DirectionWeights[L * D];
        for (int l = 0; l < L; l++)
            for (int d = 0; d < D; d++)
                Directions[l * D + d] = new DirectionWeights(config, l, d, namePrefix);
        _parameters = Directions.SelectMany(w => w.Parameters()).ToArray();
        ResetParameters(seed);
    }

    public RnnConfig Config { get; }

    /// <summary>All parameters, PyTorch names, layer by layer, forward direction first.</summary>
    public IReadOnlyList<Parameter> Parameters => _parameters;

    /// <summary>[layer * D + direction].</summary>
    internal DirectionWeights[] Directions { get; }

    /// <summary>The parameter with this PyTorch name (e.g. "weight_hh_l1_reverse").</summary>
    public Parameter this[string name] =>
        Array.Find(_parameters, p => p.Name == name) ?? throw new KeyNotFoundException($"no parameter named '{name}' in this {Config.ModeName} stack");

    /// <summary>PyTorch's default initialisation: every parameter uniform in [-1/sqrt(H), 1/sqrt(H)].</summary>
    public void ResetParameters(int seed) => ParameterInit.UniformFanIn(_parameters, Config.HiddenSize, seed);

    /// <summary>
    /// A new session on these weights for one thread: a <see cref="RecurrentStack"/> that owns its work
    /// buffers but not the weights, for inference (Forward, BeginSteps / Step); training needs the
    /// stack that owns the weights, since gradients accumulate into the shared parameters.
    /// </summary>
    public RecurrentStack CreateSession() => new(this, ownsWeights: false);

    public void Dispose()
    {
        foreach (DirectionWeights w in Directions) w.Dispose();
    }
}
