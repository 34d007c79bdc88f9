using MklRnn.Layers;
using MklRnn.Modules;
using MklRnn.Training;

namespace MklRnn.Onnx;

/// <summary>What follows the linear head, if anything.</summary>
public enum OutputActivation { None, Softmax, LogSoftmax }

/// <summary>What the linear head reads.</summary>
public enum HeadInput
{
    /// <summary>Every step of the stack's output: logits (T, N, V), or (N, T, V) batch-first.</summary>
    Sequence,
    /// <summary>The last layer's final state, directions side by side (N, D·H), as a classifier reads it: logits (N, V).</summary>
    FinalState,
}

/// <summary>
/// A recurrent model as ONNX graphs describe it: an optional embedding (Gather over a table), the
/// recurrent stack, an optional linear head and its activation. Names are the graph's tensor names,
/// so a caller can feed the same inputs it would feed ONNX Runtime. Owns and disposes its modules unless told otherwise.
/// </summary>
public sealed class OnnxRecurrentModel : IDisposable
{
    private readonly bool _ownsModules;

    /// <param name="stack">the recurrent layers.</param>
    /// <param name="embedding">optional token embedding before the stack (its size must be the stack's input size).</param>
    /// <param name="head">optional linear head on the stack's output.</param>
    /// <param name="activation">what follows the head; needs a head unless None.</param>
    /// <param name="ownsModules">false: the modules belong to another model (a char LM being exported) and Dispose leaves them.</param>
    public OnnxRecurrentModel(RecurrentStack stack, Embedding? embedding = null, LinearSoftmaxHead? head = null,
        OutputActivation activation = OutputActivation.None, bool ownsModules = true)
    {
        ArgumentNullException.ThrowIfNull(stack);
        if (embedding != null && embedding.EmbeddingSize != stack.Config.InputSize)
            throw new ArgumentException($"embedding size {embedding.EmbeddingSize} differs from the stack's input size {stack.Config.InputSize}", nameof(embedding));
        if (head != null && head.HiddenSize != stack.Config.OutputSize)
            throw new ArgumentException($"head input {head.HiddenSize} differs from the stack's output width {stack.Config.OutputSize}", nameof(head));
        if (activation != OutputActivation.None && head == null)
            throw new ArgumentException("a softmax needs a head", nameof(activation));
        Stack = stack;
        Embedding = embedding;
        Head = head;
        Activation = activation;
        _ownsModules = ownsModules;
    }

    public RecurrentStack Stack { get; }
    public Embedding? Embedding { get; }
    public LinearSoftmaxHead? Head { get; }
    public OutputActivation Activation { get; }

    /// <summary>What <see cref="Head"/> reads (the stack's output unless the graph's head is on the final state).</summary>
    public HeadInput HeadInput { get; init; }

    /// <summary>Graph input of the sequences (float (T, N, I), or int64 ids (T, N) with an embedding).</summary>
    public string InputName { get; init; } = "input";
    /// <summary>Graph input of sequence_lens, when the graph has one.</summary>
    public string? LengthsName { get; init; }
    /// <summary>Graph inputs of the initial states, when the graph has them.</summary>
    public string? H0Name { get; init; }
    public string? C0Name { get; init; }
    /// <summary>The graph's states are batch-major (N, D, H), as ONNX layout = 1 has them, rather than (D, N, H).</summary>
    public bool BatchwiseStates { get; init; }

    /// <summary>
    /// Every layer has direction 'reverse': the graph equals the (forward) stack run on each sequence reversed
    /// in time within its length, its output reversed back; <see cref="Forward"/> does that.
    /// </summary>
    public bool TimeReversed { get; init; }

    /// <summary>
    /// Per layer, whether it has direction 'reverse', for graphs whose single-direction layers differ in direction
    /// (null otherwise; <see cref="TimeReversed"/> covers a stack reversed as a whole). <see cref="Forward"/> then runs
    /// the layers one at a time, each forward or time-reversed.
    /// </summary>
    public IReadOnlyList<bool>? LayerReversed
    {
        get => _layerReversed;
        init
        {
            if (value != null && value.Count != Stack.Config.NumLayers)
                throw new ArgumentException($"{value.Count} flags for {Stack.Config.NumLayers} layers", nameof(LayerReversed));
            if (value != null && value.Any(r => r) && Stack.Config.Bidirectional)
                throw new ArgumentException("a bidirectional layer has no single time direction to reverse", nameof(LayerReversed));
            _layerReversed = value?.ToArray();
        }
    }
    private readonly bool[]? _layerReversed;
    private LayerwiseRun? _layerwise;

    /// <summary>Whether any layer runs time-reversed (a PyTorch-layout .safetensors stack cannot say so).</summary>
    public bool HasReversedLayers => TimeReversed || (_layerReversed?.Any(r => r) ?? false);

    /// <summary>Whether layer l runs time-reversed (ONNX direction 'reverse').</summary>
    public bool IsReversed(int layer) => TimeReversed || (_layerReversed != null && _layerReversed[layer]);

    /// <summary>
    /// The stack's forward as the graph computes it (time-reversed when <see cref="TimeReversed"/>, layer by layer when
    /// <see cref="LayerReversed"/> mixes directions); arguments as <see cref="RecurrentStack.Forward"/> (inference).
    /// </summary>
    public void Forward(ReadOnlySpan<float> input, int seqLength, int batchSize, Span<float> output,
        ReadOnlySpan<float> h0 = default, ReadOnlySpan<float> c0 = default, Span<float> hN = default, Span<float> cN = default,
        ReadOnlySpan<int> lengths = default)
    {
        int L = Stack.Config.NumLayers;
        int reversedLayers = Enumerable.Range(0, L).Count(IsReversed);
        if (reversedLayers == 0)
            Stack.Forward(input, seqLength, batchSize, output, h0, c0, hN, cN, lengths);
        else if (reversedLayers == L)
            TimeReversal.Forward(Stack, input, seqLength, batchSize, output, h0, c0, hN, cN, lengths);
        else
            (_layerwise ??= new LayerwiseRun(Stack)).Forward(_layerReversed!, input, seqLength, batchSize, output, h0, c0, hN, cN, lengths);
    }

    /// <summary>
    /// The head's input for <see cref="HeadInput.FinalState"/>: row n of features (N, D·H) is the last layer's final
    /// state of sequence n, forward direction first. hN: (L·D, N, H) as <see cref="Forward"/> writes it.
    /// </summary>
    public void FinalStateFeatures(ReadOnlySpan<float> hN, int batchSize, Span<float> features)
    {
        RnnConfig c = Stack.Config;
        int D = c.Directions, H = c.OutputHiddenSize, first = (c.NumLayers - 1) * D;
        if (hN.Length != c.NumLayers * D * batchSize * H)
            throw new ArgumentException($"hN has {hN.Length} values, expected (layers * directions, N, H) = {c.NumLayers * D * batchSize * H}", nameof(hN));
        if (features.Length != batchSize * D * H)
            throw new ArgumentException($"features has {features.Length} values, expected (N, D * H) = {batchSize * D * H}", nameof(features));
        for (int n = 0; n < batchSize; n++)
            for (int d = 0; d < D; d++)
                hN.Slice(((first + d) * batchSize + n) * H, H).CopyTo(features.Slice((n * D + d) * H, H));
    }

    public void Dispose()
    {
        _layerwise?.Dispose();
        _layerwise = null;
        if (!_ownsModules) return;
        Stack.Dispose();
        Embedding?.Dispose();
        Head?.Dispose();
    }
}
