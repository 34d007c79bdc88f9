using MklRnn.Core;
using MklRnn.Memory;

namespace MklRnn.Modules;

/// <summary>
/// Inverted dropout (torch.nn.Dropout): in training each value is zeroed with probability p and the
/// survivors are scaled by 1 / (1 - p), so evaluation (no dropout) sees the same expected activations.
/// The mask comes from a seeded generator (<see cref="Reseed"/>) so runs are repeatable, and is kept for
/// <see cref="Backward"/>. The mask lives in a pooled workspace: calls of an already-seen size allocate nothing.
/// Not thread-safe: one call at a time per instance.
/// </summary>
public sealed unsafe class Dropout : IDisposable
{
    private readonly Workspace _mask = new("dropout_mask"); // 0 or 1/(1-p) per value of the last training forward
    private Random _random;
    private int _maskLength = -1; // -1: no training forward recorded
    private bool _disposed;

    /// <param name="probability">p in [0, 1): the chance that a value is dropped.</param>
    /// <param name="seed">Seed of the mask generator.</param>
    public Dropout(float probability, int seed = 0)
    {
        if (!(probability >= 0 && probability < 1))
            throw new ArgumentOutOfRangeException(nameof(probability), probability, "dropout probability must be in [0, 1)");
        Probability = probability;
        _random = new Random(seed);
    }

    /// <summary>p: the chance that a value is dropped in training.</summary>
    public float Probability { get; }

    /// <summary>Restarts the mask generator from a seed (a resumed run reseeds to repeat its masks).</summary>
    public void Reseed(int seed) => _random = new Random(seed);

    /// <summary>
    /// output = input * mask in training (a new mask is drawn), a plain copy otherwise; output may be input.
    /// </summary>
    public void Forward(ReadOnlySpan<float> input, Span<float> output, bool training)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (output.Length != input.Length)
            throw new ArgumentException($"{nameof(output)}: expected {input.Length} values (the input's length), got {output.Length}", nameof(output));
        if (!training || Probability == 0)
        {
            if (!output.Overlaps(input, out int offset) || offset != 0) input.CopyTo(output);
            _maskLength = training ? input.Length : -1;
            if (training) new Span<float>(_mask.Ensure(input.Length), input.Length).Fill(1f);
            return;
        }
        float* mask = _mask.Ensure(input.Length);
        fixed (float* pInput = input, pOutput = output)
            DropoutMask.DrawAndApply(_random, Probability, pInput, mask, pOutput, input.Length);
        _maskLength = input.Length;
    }

    /// <summary>gradInput = gradOutput * mask of the last training forward (in place when they are the same span).</summary>
    public void Backward(ReadOnlySpan<float> gradOutput, Span<float> gradInput)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_maskLength < 0)
            throw new InvalidOperationException("Dropout.Backward needs a preceding Forward(..., training: true)");
        if (gradOutput.Length != _maskLength)
            throw new ArgumentException($"{nameof(gradOutput)}: expected {_maskLength} values (the forward's length), got {gradOutput.Length}", nameof(gradOutput));
        if (gradInput.Length != _maskLength)
            throw new ArgumentException($"{nameof(gradInput)}: expected {_maskLength} values (the forward's length), got {gradInput.Length}", nameof(gradInput));
        float* mask = _mask.Pointer;
        for (int i = 0; i < gradOutput.Length; i++) gradInput[i] = gradOutput[i] * mask[i];
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _mask.Dispose();
    }
}
