namespace MklRnn.Seq2Seq;

/// <summary>
/// Sequences of token ids laid out time-major and padded, (T, N) with T the longest length, plus each
/// sequence's length: the layout the encoder and decoder consume. Refilling reuses the arrays (they only grow).
/// </summary>
public sealed class TokenBatch
{
    private int[] _ids = [];
    private int[] _lengths = [];

    /// <summary>T: the longest sequence's length.</summary>
    public int SeqLength { get; private set; }

    /// <summary>N: the number of sequences.</summary>
    public int BatchSize { get; private set; }

    /// <summary>(T, N) ids; padded positions hold the pad id given to <see cref="Fill"/>.</summary>
    public ReadOnlySpan<int> Ids => _ids.AsSpan(0, SeqLength * BatchSize);

    /// <summary>(N) lengths, each >= 1.</summary>
    public ReadOnlySpan<int> Lengths => _lengths.AsSpan(0, BatchSize);

    /// <summary>A batch of the given sequences (each non-empty, ids in [0, vocabularySize)).</summary>
    public static TokenBatch From(IReadOnlyList<int[]> sequences, int vocabularySize)
    {
        var batch = new TokenBatch();
        batch.Fill(sequences, vocabularySize);
        return batch;
    }

    /// <summary>Lays out the sequences; throws ArgumentException naming a bad sequence or id.</summary>
    public void Fill(IReadOnlyList<int[]> sequences, int vocabularySize, int padId = 0)
    {
        ArgumentNullException.ThrowIfNull(sequences);
        if (sequences.Count == 0) throw new ArgumentException("expected at least one sequence", nameof(sequences));
        int N = sequences.Count, T = 0;
        for (int n = 0; n < N; n++)
        {
            int[] s = sequences[n] ?? throw new ArgumentException($"sequences[{n}] is null", nameof(sequences));
            if (s.Length == 0) throw new ArgumentException($"sequences[{n}] is empty; every sequence needs at least one token", nameof(sequences));
            for (int i = 0; i < s.Length; i++)
                if ((uint)s[i] >= (uint)vocabularySize)
                    throw new ArgumentOutOfRangeException(nameof(sequences), s[i], $"sequences[{n}][{i}] = {s[i]} is not an id in [0, {vocabularySize})");
            T = Math.Max(T, s.Length);
        }
        if (_ids.Length < T * N) _ids = new int[T * N];
        if (_lengths.Length < N) _lengths = new int[N];
        SeqLength = T;
        BatchSize = N;
        for (int n = 0; n < N; n++)
        {
            int[] s = sequences[n];
            _lengths[n] = s.Length;
            for (int t = 0; t < T; t++) _ids[t * N + n] = t < s.Length ? s[t] : padId;
        }
    }
}
