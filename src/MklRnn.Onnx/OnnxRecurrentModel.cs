using MklRnn.Layers;
using MklRnn.Modules;

namespace MklRnn.Onnx;

/// <summary>What follows the linear head, if anything.</summary>
public enum OutputActivation { None, Softmax, LogSoftmax }

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
    /// The stack's forward as the graph computes it (time-reversed when <see cref="TimeReversed"/>); arguments as
    /// <see cref="RecurrentStack.Forward"/> (inference).
    /// </summary>
    public void Forward(ReadOnlySpan<float> input, int seqLength, int batchSize, Span<float> output,
        ReadOnlySpan<float> h0 = default, ReadOnlySpan<float> c0 = default, Span<float> hN = default, Span<float> cN = default,
        ReadOnlySpan<int> lengths = default)
    {
        if (!TimeReversed)
        {
            Stack.Forward(input, seqLength, batchSize, output, h0, c0, hN, cN, lengths);
            return;
        }
        RnnConfig c = Stack.Config;
        var reversedInput = new float[input.Length];
        var timeOrder = new TimeReversal(seqLength, batchSize, c.BatchFirst, lengths);
        timeOrder.Apply(input, reversedInput, c.InputSize);
        var reversedOutput = new float[output.Length];
        Stack.Forward(reversedInput, seqLength, batchSize, reversedOutput, h0, c0, hN, cN, lengths);
        timeOrder.Apply(reversedOutput, output, c.OutputSize);
    }

    public void Dispose()
    {
        if (!_ownsModules) return;
        Stack.Dispose();
        Embedding?.Dispose();
        Head?.Dispose();
    }
}
