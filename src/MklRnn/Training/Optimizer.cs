using System.Globalization;
using MklRnn.Memory;

namespace MklRnn.Training;

/// <summary>
/// Base of the optimizers: a fixed list of parameters updated in place from their gradients by
/// <see cref="Step"/>. Per-parameter state (momentum, moments) lives in native buffers. After updating a
/// parameter, Step calls <see cref="Parameter.MarkModified"/> so layers that cache packed weights refresh
/// them. The state can be saved into and restored from a checkpoint's tensors and metadata
/// (<see cref="SaveState"/> / <see cref="LoadState"/>); tensors are named
/// <c>optimizer.&lt;kind&gt;.&lt;slot&gt;.&lt;parameter name&gt;</c>, e.g. <c>optimizer.adam.m.head.weight</c>.
/// Not thread-safe.
/// </summary>
public abstract unsafe class Optimizer : IDisposable
{
    /// <summary>Metadata key of the optimizer kind ("sgd", "adam").</summary>
    public const string KindKey = "optimizer.kind";

    /// <summary>Metadata key of <see cref="StepCount"/>.</summary>
    public const string StepKey = "optimizer.step";

    /// <summary>Metadata key of <see cref="LearningRate"/>.</summary>
    public const string LearningRateKey = "optimizer.lr";

    private readonly Parameter[] _parameters;
    private readonly List<(string Slot, NativeBuffer[] Buffers)> _slots = [];
    private float _learningRate;
    private bool _disposed;

    /// <summary>Takes the parameters to optimise (non-empty names, each once, names unique).</summary>
    protected Optimizer(IReadOnlyList<Parameter> parameters, float learningRate)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < parameters.Count; i++)
        {
            Parameter p = parameters[i] ?? throw new ArgumentException($"{nameof(parameters)}[{i}] is null", nameof(parameters));
            if (!names.Add(p.Name))
                throw new ArgumentException($"{nameof(parameters)}[{i}]: a parameter named '{p.Name}' is already in the list (names key the optimizer state)", nameof(parameters));
        }
        _parameters = parameters.ToArray();
        LearningRate = learningRate;
    }

    /// <summary>Short lower-case name used in state names and metadata ("sgd", "adam").</summary>
    public abstract string Kind { get; }

    /// <summary>The parameters, in the order given.</summary>
    public IReadOnlyList<Parameter> Parameters => _parameters;

    /// <summary>The rate of the next step (overwritten by <see cref="Schedule"/> before each step when one is set).</summary>
    public float LearningRate
    {
        get => _learningRate;
        set
        {
            Schedules.CheckRate(value, nameof(value));
            _learningRate = value;
        }
    }

    /// <summary>When set, <see cref="Step"/> sets <see cref="LearningRate"/> to Schedule.LearningRateAt(StepCount) first.</summary>
    public ILearningRateSchedule? Schedule { get; set; }

    /// <summary>Steps taken so far (PyTorch's <c>state["step"]</c>).</summary>
    public long StepCount { get; private set; }

    /// <summary>Applies one update to every parameter from its current gradient.</summary>
    public void Step()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (Schedule != null) LearningRate = Schedule.LearningRateAt(StepCount);
        StepCount++;
        for (int i = 0; i < _parameters.Length; i++)
        {
            Parameter p = _parameters[i];
            Update(i, new Span<float>(p.DataPointer, p.Length), new ReadOnlySpan<float>(p.GradPointer, p.Length), _learningRate);
            p.MarkModified();
        }
    }

    /// <summary>Sets every parameter's gradient to zero.</summary>
    public void ZeroGrad()
    {
        foreach (Parameter p in _parameters) p.ZeroGrad();
    }

    /// <summary>
    /// Updates parameter <paramref name="index"/> in place. <see cref="StepCount"/> already counts this step
    /// (1 on the first call).
    /// </summary>
    protected abstract void Update(int index, Span<float> values, ReadOnlySpan<float> gradient, float learningRate);

    /// <summary>Adds a state slot: one zeroed buffer per parameter, saved as optimizer.&lt;kind&gt;.&lt;slot&gt;.&lt;name&gt;.</summary>
    private protected NativeBuffer[] AddStateSlot(string slot)
    {
        var buffers = _parameters.Select(p => new NativeBuffer(p.Length)).ToArray();
        _slots.Add((slot, buffers));
        return buffers;
    }

    /// <summary>Writes hyper-parameters into checkpoint metadata (informational; not read back).</summary>
    protected virtual void SaveHyperparameters(IDictionary<string, string> metadata) { }

    /// <summary>The checkpoint tensor name of one state buffer.</summary>
    public string StateName(string slot, Parameter parameter) => $"optimizer.{Kind}.{slot}.{parameter.Name}";

    /// <summary>
    /// Adds the optimizer state to a checkpoint: one tensor per state slot and parameter, and metadata
    /// <c>optimizer.kind</c>, <c>optimizer.step</c>, <c>optimizer.lr</c> plus the hyper-parameters.
    /// </summary>
    public void SaveState(IDictionary<string, float[]> tensors, IDictionary<string, string> metadata)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentNullException.ThrowIfNull(tensors);
        ArgumentNullException.ThrowIfNull(metadata);
        metadata[KindKey] = Kind;
        metadata[StepKey] = StepCount.ToString(CultureInfo.InvariantCulture);
        metadata[LearningRateKey] = _learningRate.ToString("R", CultureInfo.InvariantCulture);
        SaveHyperparameters(metadata);
        foreach (var (slot, buffers) in _slots)
            for (int i = 0; i < _parameters.Length; i++)
                tensors[StateName(slot, _parameters[i])] = buffers[i].Span.ToArray();
    }

    /// <summary>
    /// Restores what <see cref="SaveState"/> wrote (kind, step count, learning rate, every state tensor).
    /// Everything is checked before anything changes: a wrong kind, a missing or malformed step, or a
    /// missing or wrongly sized tensor throws ArgumentException and leaves the optimizer as it was.
    /// </summary>
    public void LoadState(IReadOnlyDictionary<string, float[]> tensors, IReadOnlyDictionary<string, string> metadata)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentNullException.ThrowIfNull(tensors);
        ArgumentNullException.ThrowIfNull(metadata);
        if (!metadata.TryGetValue(KindKey, out string? kind) || kind != Kind)
            throw new ArgumentException($"{nameof(metadata)}: {KindKey} is '{kind ?? "(missing)"}', this optimizer is '{Kind}'", nameof(metadata));
        if (!metadata.TryGetValue(StepKey, out string? stepText) ||
            !long.TryParse(stepText, NumberStyles.Integer, CultureInfo.InvariantCulture, out long step) || step < 0)
            throw new ArgumentException($"{nameof(metadata)}: {StepKey} must be an integer >= 0, got '{stepText ?? "(missing)"}'", nameof(metadata));
        float? rate = null;
        if (metadata.TryGetValue(LearningRateKey, out string? rateText))
        {
            if (!float.TryParse(rateText, NumberStyles.Float, CultureInfo.InvariantCulture, out float r) || !(r >= 0) || !float.IsFinite(r))
                throw new ArgumentException($"{nameof(metadata)}: {LearningRateKey} must be a finite rate >= 0, got '{rateText}'", nameof(metadata));
            rate = r;
        }
        foreach (var (slot, _) in _slots)
            foreach (Parameter p in _parameters)
            {
                string name = StateName(slot, p);
                if (!tensors.TryGetValue(name, out float[]? values) || values == null)
                    throw new ArgumentException($"{nameof(tensors)}: missing optimizer state '{name}'", nameof(tensors));
                if (values.Length != p.Length)
                    throw new ArgumentException($"{nameof(tensors)}: '{name}' expected {p.ShapeText} = {p.Length} floats, got {values.Length}", nameof(tensors));
            }
        foreach (var (slot, buffers) in _slots)
            for (int i = 0; i < _parameters.Length; i++)
                tensors[StateName(slot, _parameters[i])].CopyTo(buffers[i].Span);
        StepCount = step;
        if (rate is float loaded) _learningRate = loaded;
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        foreach (var (_, buffers) in _slots)
            foreach (NativeBuffer b in buffers) b.Dispose();
        GC.SuppressFinalize(this);
    }
}
