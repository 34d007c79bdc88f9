namespace MklRnn.Onnx;

/// <summary>
/// Reverses each sequence of a (T, N, F) or (N, T, F) tensor in time within its own length (steps past the
/// length stay where they are), as ONNX's direction 'reverse' reads its input. Its own inverse.
/// </summary>
internal readonly struct TimeReversal(int seqLength, int batchSize, bool batchFirst, ReadOnlySpan<int> lengths)
{
    private readonly int[] _lengths = lengths.IsEmpty ? Enumerable.Repeat(seqLength, batchSize).ToArray() : lengths.ToArray();

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
