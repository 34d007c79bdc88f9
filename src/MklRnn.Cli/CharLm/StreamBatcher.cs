using MklRnn.CharLm;


namespace MklRnn.Cli.CharLm;

/// <summary>
/// Truncated-BPTT batches of one token stream: the stream is cut into N equal contiguous columns, and
/// chunk k holds steps [kT, kT + T) of every column, time-major (T, N), with each target the next
/// character. Column b of chunk k + 1 continues column b of chunk k, so the recurrent state is carried
/// from chunk to chunk. Deterministic: a chunk depends only on its index (what makes exact resume possible).
/// </summary>
internal sealed class StreamBatcher
{
    private readonly int[] _ids;

    public StreamBatcher(int[] ids, int batchSize, int seqLength)
    {
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "batch size must be >= 1");
        if (seqLength < 1) throw new ArgumentOutOfRangeException(nameof(seqLength), seqLength, "sequence length must be >= 1");
        _ids = ids;
        BatchSize = batchSize;
        SeqLength = seqLength;
        ColumnLength = (ids.Length - 1) / batchSize;
        if (ColumnLength < 1)
            throw new CharLmException($"a stream of {ids.Length} characters is too short for batch size {batchSize}; use a smaller --batch-size or a longer text");
        ChunkCount = (ColumnLength + seqLength - 1) / seqLength;
    }

    public int BatchSize { get; }
    public int SeqLength { get; }

    /// <summary>Steps per column (the last chunk may be shorter than T).</summary>
    public int ColumnLength { get; }

    /// <summary>Chunks per pass over the stream (an epoch).</summary>
    public int ChunkCount { get; }

    /// <summary>Steps in chunk k: T, or the rest of the columns for the last chunk.</summary>
    public int StepsIn(int chunk) => Math.Min(SeqLength, ColumnLength - chunk * SeqLength);

    /// <summary>Fills inputs and targets, (steps, N) time-major, for chunk k; returns the step count.</summary>
    public int Fill(int chunk, Span<int> inputs, Span<int> targets) => Fill(chunk, inputs, targets, 0, BatchSize);

    /// <summary>
    /// Fills inputs and targets, (steps, count) time-major, with streams [first, first + count) of chunk k (one
    /// process's share of a data-parallel batch); returns the step count.
    /// </summary>
    public int Fill(int chunk, Span<int> inputs, Span<int> targets, int first, int count)
    {
        if ((uint)chunk >= (uint)ChunkCount) throw new ArgumentOutOfRangeException(nameof(chunk), chunk, $"chunk must be in [0, {ChunkCount})");
        if (first < 0 || count < 1 || first > BatchSize - count)
            throw new ArgumentOutOfRangeException(nameof(count), count, $"streams [{first}, {first} + {count}) must lie in [0, {BatchSize})");
        int steps = StepsIn(chunk);
        if (inputs.Length < steps * count || targets.Length < steps * count)
            throw new ArgumentException($"inputs and targets need {steps * count} ids, got {inputs.Length} and {targets.Length}");
        for (int t = 0; t < steps; t++)
            for (int b = 0; b < count; b++)
            {
                int position = (first + b) * ColumnLength + chunk * SeqLength + t;
                inputs[t * count + b] = _ids[position];
                targets[t * count + b] = _ids[position + 1];
            }
        return steps;
    }
}
