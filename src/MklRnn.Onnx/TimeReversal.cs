using MklRnn.Layers;

namespace MklRnn.Onnx;

/// <summary>
/// Reverses each sequence of a (T, N, F) or (N, T, F) tensor in time within its own length (steps past the
/// length stay where they are), as ONNX's direction 'reverse' reads its input. Its own inverse.
/// </summary>
internal readonly struct TimeReversal(int seqLength, int batchSize, bool batchFirst, ReadOnlySpan<int> lengths)
{
    private readonly int[] _lengths = lengths.IsEmpty ? Enumerable.Repeat(seqLength, batchSize).ToArray() : lengths.ToArray();

    /// <summary>
    /// What an ONNX 'reverse' node computes with the stack's weights: the stack run forward on each sequence reversed
    /// within its length, its output reversed back (exact: the same steps in the same order). Arguments as
    /// <see cref="RecurrentStack.Forward"/> (inference).
    /// </summary>
    public static void Forward(RecurrentStack stack, ReadOnlySpan<float> input, int seqLength, int batchSize, Span<float> output,
        ReadOnlySpan<float> h0, ReadOnlySpan<float> c0, Span<float> hN, Span<float> cN, ReadOnlySpan<int> lengths)
    {
        RnnConfig c = stack.Config;
        var timeOrder = new TimeReversal(seqLength, batchSize, c.BatchFirst, lengths);
        var reversedInput = new float[input.Length];
        timeOrder.Apply(input, reversedInput, c.InputSize);
        var reversedOutput = new float[output.Length];
        stack.Forward(reversedInput, seqLength, batchSize, reversedOutput, h0, c0, hN, cN, lengths);
        timeOrder.Apply(reversedOutput, output, c.OutputSize);
    }

    public void Apply(ReadOnlySpan<float> source, Span<float> destination, int width)
    {
        for (int b = 0; b < batchSize; b++)
            for (int t = 0; t < seqLength; t++)
            {
                int from = t < _lengths[b] ? _lengths[b] - 1 - t : t;
                source.Slice(Row(from, b) * width, width).CopyTo(destination.Slice(Row(t, b) * width, width));
            }
    }

    private int Row(int t, int b) => batchFirst ? b * seqLength + t : t * batchSize + b;
}
