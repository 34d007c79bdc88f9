namespace MklRnn.Layers;

/// <summary>
/// How a batch of sequences is laid out inside the engine ("packed", as PyTorch's PackedSequence):
/// sequences sorted by length, longest first, so the rows still running at step t are a prefix of
/// BatchSize(t) rows, and the rows of step t sit at [Offset(t), Offset(t) + BatchSize(t)) of every
/// (rows, width) buffer. Without lengths every step has N rows and the layout is plain time-major.
/// The cost of a call therefore follows the sum of the lengths, not N * T.
/// </summary>
internal sealed class SequencePlan
{
    private int[] _order = [];      // _order[j] = batch index of packed row j (longest first)
    private int[] _batchSizes = []; // rows active at step t
    private int[] _offsets = [];    // first packed row of step t; _offsets[T] = TotalRows
    private int[] _counts = [];     // counting-sort scratch

    public int SeqLength { get; private set; }
    public int BatchSize { get; private set; }
    public bool HasLengths { get; private set; }

    /// <summary>Sum of the lengths (N * T without lengths).</summary>
    public int TotalRows { get; private set; }

    /// <summary>Packed row j holds batch entry Order[j].</summary>
    public ReadOnlySpan<int> Order => _order.AsSpan(0, BatchSize);

    public int RowsAt(int t) => _batchSizes[t];

    public int OffsetOf(int t) => _offsets[t];

    /// <summary>Lays out T steps of N sequences; lengths empty = all T. Allocates only when T or N grow.</summary>
    public void Build(int seqLength, int batchSize, ReadOnlySpan<int> lengths)
    {
        SeqLength = seqLength;
        BatchSize = batchSize;
        HasLengths = !lengths.IsEmpty;
        Grow(ref _order, batchSize);
        Grow(ref _batchSizes, seqLength);
        Grow(ref _offsets, seqLength + 1);
        Grow(ref _counts, seqLength + 2);

        if (!HasLengths)
        {
            for (int j = 0; j < batchSize; j++) _order[j] = j;
            for (int t = 0; t < seqLength; t++) _batchSizes[t] = batchSize;
        }
        else
        {
            // Counting sort by length, descending and stable: no allocation, O(N + T).
            Span<int> counts = _counts.AsSpan(0, seqLength + 2);
            counts.Clear();
            foreach (int len in lengths) counts[seqLength - len + 1]++;
            for (int k = 1; k < counts.Length; k++) counts[k] += counts[k - 1];
            for (int b = 0; b < batchSize; b++) _order[counts[seqLength - lengths[b]]++] = b;
            // Rows active at step t: sequences longer than t.
            int active = batchSize;
            int j = batchSize - 1;
            for (int t = 0; t < seqLength; t++)
            {
                while (j >= 0 && lengths[_order[j]] <= t) { j--; active--; }
                _batchSizes[t] = active;
            }
        }
        int offset = 0;
        for (int t = 0; t < seqLength; t++)
        {
            _offsets[t] = offset;
            offset += _batchSizes[t];
        }
        _offsets[seqLength] = offset;
        TotalRows = offset;
    }

    private static void Grow(ref int[] array, int length)
    {
        if (array.Length < length) array = new int[length];
    }
}
