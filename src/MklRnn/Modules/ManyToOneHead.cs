using MklRnn.Core;
using MklRnn.Memory;
using MklRnn.Training;

namespace MklRnn.Modules;

/// <summary>
/// Sequence classification: one softmax cross-entropy per sequence, from the output at its last valid
/// step. Gathers, from a time-major (T, N, H) recurrent output, the row of each sequence b at step
/// lengths[b] - 1, runs a <see cref="LinearSoftmaxHead"/> over those N rows, and scatters the gradient
/// back into a (T, N, H) buffer that is zero everywhere else. Parameters are the inner head's
/// (<c>weight</c> (C, H), <c>bias</c> (C), with the name prefix). Not thread-safe.
/// </summary>
public sealed unsafe class ManyToOneHead : IParameterized, IDisposable
{
    private readonly Workspace _gathered = new("many_to_one_rows");  // (N, H)
    private readonly Workspace _gradGathered = new("many_to_one_drows"); // (N, H)
    private bool _disposed;

    /// <param name="hiddenSize">H, the width of a recurrent output row (D * H_out for a bidirectional stack).</param>
    /// <param name="classCount">C, the number of classes.</param>
    /// <param name="namePrefix">Prepended to the parameter names, e.g. "classifier.".</param>
    /// <param name="seed">Seed of the nn.Linear initialisation.</param>
    public ManyToOneHead(int hiddenSize, int classCount, string namePrefix = "", int seed = 0)
    {
        Head = new LinearSoftmaxHead(hiddenSize, classCount, namePrefix, seed);
    }

    /// <summary>The linear + softmax head applied to the gathered rows.</summary>
    public LinearSoftmaxHead Head { get; }

    /// <summary>H.</summary>
    public int HiddenSize => Head.HiddenSize;

    /// <summary>C.</summary>
    public int ClassCount => Head.VocabularySize;

    /// <summary>The head's weight and bias.</summary>
    public IReadOnlyList<Parameter> Parameters => Head.Parameters;

    /// <summary>The result of the last loss call (token count = sequences counted).</summary>
    public LossResult LastResult => Head.LastResult;

    /// <summary>Sets every parameter gradient to zero.</summary>
    public void ZeroGrad() => Head.ZeroGrad();

    /// <summary>
    /// logits (N, C) of each sequence's last valid step. output: (T, N, H) time-major;
    /// lengths: N values in [1, T], or empty when every sequence has T steps.
    /// </summary>
    public void Logits(ReadOnlySpan<float> output, int seqLength, int batchSize, ReadOnlySpan<int> lengths, Span<float> logits)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        Validate(output, seqLength, batchSize, lengths);
        Shapes.Require(nameof(logits), logits.Length, [batchSize, ClassCount], "(N, C)");
        if (batchSize == 0) return;
        float* rows = Gather(output, seqLength, batchSize, lengths);
        Head.Logits(new ReadOnlySpan<float>(rows, batchSize * HiddenSize), batchSize, logits);
    }

    /// <summary>
    /// Cross-entropy of each sequence's class (targets: N values in [0, C) or <paramref name="ignoreIndex"/>)
    /// from its last valid step. Writes gradOutput (T, N, H) — the gradient at each last valid step,
    /// 0 elsewhere — unless it is empty, and accumulates (+=) the head's parameter gradients.
    /// </summary>
    /// <returns>The reduced loss.</returns>
    public float Loss(ReadOnlySpan<float> output, int seqLength, int batchSize, ReadOnlySpan<int> lengths,
        ReadOnlySpan<int> targets, LossReduction reduction, Span<float> gradOutput, int ignoreIndex = -1)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        Validate(output, seqLength, batchSize, lengths);
        Shapes.RequireOptional(nameof(gradOutput), gradOutput.Length, [seqLength, batchSize, HiddenSize], "(T, N, H)");
        LinearSoftmaxHead.CheckReduction(reduction);
        int counted = Head.ValidateTargets(targets, batchSize, ignoreIndex);

        int H = HiddenSize, N = batchSize;
        float* rows = Gather(output, seqLength, batchSize, lengths);
        float* gradRows = gradOutput.IsEmpty ? null : _gradGathered.Ensure((long)N * H);
        LossResult result;
        fixed (int* pTargets = targets)
            result = Head.Compute(rows, N, pTargets, counted, reduction, ignoreIndex, gradients: true, gradRows);
        Head.LastResult = result;

        if (gradRows != null)
        {
            gradOutput.Clear();
            for (int b = 0; b < N; b++)
            {
                int t = lengths.IsEmpty ? seqLength - 1 : lengths[b] - 1;
                new ReadOnlySpan<float>(gradRows + (long)b * H, H).CopyTo(gradOutput.Slice((t * N + b) * H, H));
            }
        }
        return (float)result.Loss;
    }

    private float* Gather(ReadOnlySpan<float> output, int seqLength, int batchSize, ReadOnlySpan<int> lengths)
    {
        int H = HiddenSize, N = batchSize;
        float* rows = _gathered.Ensure((long)N * H);
        for (int b = 0; b < N; b++)
        {
            int t = lengths.IsEmpty ? seqLength - 1 : lengths[b] - 1;
            output.Slice((t * N + b) * H, H).CopyTo(new Span<float>(rows + (long)b * H, H));
        }
        return rows;
    }

    private void Validate(ReadOnlySpan<float> output, int seqLength, int batchSize, ReadOnlySpan<int> lengths)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(seqLength);
        ArgumentOutOfRangeException.ThrowIfNegative(batchSize);
        if ((long)seqLength * batchSize * HiddenSize > int.MaxValue)
            throw new ArgumentOutOfRangeException(nameof(seqLength), "output exceeds one buffer");
        Shapes.Require(nameof(output), output.Length, [seqLength, batchSize, HiddenSize], "(T, N, H)");
        if (lengths.IsEmpty) return;
        if (lengths.Length != batchSize)
            throw new ArgumentException($"{nameof(lengths)}: expected ({batchSize}) lengths (N) or empty, got {lengths.Length}", nameof(lengths));
        for (int b = 0; b < batchSize; b++)
            if (lengths[b] < 1 || lengths[b] > seqLength)
                throw new ArgumentOutOfRangeException(nameof(lengths), lengths[b], $"lengths[{b}] = {lengths[b]} is not in [1, {seqLength}]");
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _gathered.Dispose();
        _gradGathered.Dispose();
        Head.Dispose();
    }
}
