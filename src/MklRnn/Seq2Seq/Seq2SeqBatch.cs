namespace MklRnn.Seq2Seq;

/// <summary>
/// One teacher-forcing batch: the source sequences, and for the decoder, per step t, its input
/// (BOS, y_1, …, y_m) and its target (y_1, …, y_m, EOS), time-major (T, N) with T = longest target + 1.
/// Targets past a sequence's end are -1 (ignored by the loss); inputs there are EOS. Refilling reuses arrays.
/// </summary>
public sealed class Seq2SeqBatch
{
    private int[] _inputs = [];
    private int[] _targets = [];

    public TokenBatch Source { get; } = new();

    /// <summary>T: decoder steps (longest target + 1 for EOS).</summary>
    public int TargetSteps { get; private set; }

    public int BatchSize => Source.BatchSize;

    /// <summary>(T, N) decoder inputs.</summary>
    public ReadOnlySpan<int> DecoderInputs => _inputs.AsSpan(0, TargetSteps * BatchSize);

    /// <summary>(T, N) decoder targets, -1 past each sequence's EOS.</summary>
    public ReadOnlySpan<int> Targets => _targets.AsSpan(0, TargetSteps * BatchSize);

    /// <summary>Lays out pairs (sources[n], targets[n]); targets exclude BOS and EOS and may be empty.</summary>
    public void Fill(Seq2SeqConfig config, IReadOnlyList<int[]> sources, IReadOnlyList<int[]> targets)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(targets);
        Source.Fill(sources, config.SourceVocabularySize);
        int N = sources.Count;
        if (targets.Count != N) throw new ArgumentException($"expected one target per source ({N}), got {targets.Count}", nameof(targets));
        int T = 0;
        for (int n = 0; n < N; n++)
        {
            int[] y = targets[n] ?? throw new ArgumentException($"targets[{n}] is null", nameof(targets));
            for (int i = 0; i < y.Length; i++)
                if ((uint)y[i] >= (uint)config.TargetVocabularySize)
                    throw new ArgumentOutOfRangeException(nameof(targets), y[i], $"targets[{n}][{i}] = {y[i]} is not an id in [0, {config.TargetVocabularySize})");
            T = Math.Max(T, y.Length + 1);
        }
        if (_inputs.Length < T * N)
        {
            _inputs = new int[T * N];
            _targets = new int[T * N];
        }
        TargetSteps = T;
        for (int n = 0; n < N; n++)
        {
            int[] y = targets[n];
            for (int t = 0; t < T; t++)
            {
                _inputs[t * N + n] = t == 0 ? config.BosId : t <= y.Length ? y[t - 1] : config.EosId;
                _targets[t * N + n] = t < y.Length ? y[t] : t == y.Length ? config.EosId : -1;
            }
        }
    }
}
