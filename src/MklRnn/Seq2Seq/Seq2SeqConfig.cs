using System.Globalization;

namespace MklRnn.Seq2Seq;

/// <summary>
/// The architecture of an attentional encoder-decoder (Luong et al. 2015). The encoder embeds source ids
/// and runs a stack of any cell (layers, optionally bidirectional); the decoder is a unidirectional stack
/// of the same cell and layer count whose hidden size is the encoder's output width (Directions * H), so its
/// initial state is the encoder's final state (both directions concatenated) and its states attend over the
/// encoder outputs directly. With input feeding, the previous attentional state h̃ is fed with the next input.
/// </summary>
public sealed record Seq2SeqConfig
{
    public CellKind Cell { get; init; } = CellKind.Lstm;
    public int SourceVocabularySize { get; init; }
    public int TargetVocabularySize { get; init; }
    public int EmbeddingSize { get; init; } = 32;

    /// <summary>Encoder hidden size per direction (the decoder's is Directions times this).</summary>
    public int HiddenSize { get; init; } = 64;
    public int NumLayers { get; init; } = 1;
    public bool Bidirectional { get; init; }
    public AttentionScore Score { get; init; } = AttentionScore.General;
    public bool InputFeeding { get; init; } = true;

    /// <summary>Global attention, or local-m / local-p over a window of half-width <see cref="Window"/>.</summary>
    public AttentionKind Attention { get; init; } = AttentionKind.Global;

    /// <summary>D, the local window's half-width (>= 1 for local attention; 0 for global).</summary>
    public int Window { get; init; }

    /// <summary>The encoder reads each source reversed (its valid tokens; padding stays at the end), as Sutskever et al. did.</summary>
    public bool ReverseSource { get; init; }

    /// <summary>Start-of-sequence id in the target vocabulary: the decoder's first input.</summary>
    public int BosId { get; init; }

    /// <summary>End-of-sequence id in the target vocabulary: ends a hypothesis.</summary>
    public int EosId { get; init; }

    public int Directions => Bidirectional ? 2 : 1;

    /// <summary>Hd: the decoder's hidden size = the encoder's output width.</summary>
    public int DecoderHiddenSize => Directions * HiddenSize;

    /// <summary>Throws an ArgumentException naming the first field out of range.</summary>
    public void Validate()
    {
        if (!Enum.IsDefined(Cell)) throw new ArgumentOutOfRangeException(nameof(Cell), Cell, "unknown cell kind");
        if (SourceVocabularySize < 1) throw new ArgumentOutOfRangeException(nameof(SourceVocabularySize), SourceVocabularySize, "must be >= 1");
        if (TargetVocabularySize < 2) throw new ArgumentOutOfRangeException(nameof(TargetVocabularySize), TargetVocabularySize, "must be >= 2 (it holds BOS and EOS)");
        if (EmbeddingSize < 1) throw new ArgumentOutOfRangeException(nameof(EmbeddingSize), EmbeddingSize, "must be >= 1");
        if (HiddenSize < 1) throw new ArgumentOutOfRangeException(nameof(HiddenSize), HiddenSize, "must be >= 1");
        if (NumLayers < 1) throw new ArgumentOutOfRangeException(nameof(NumLayers), NumLayers, "must be >= 1");
        AttentionScores.Name(Score);
        AttentionKinds.Name(Attention);
        if (Attention == AttentionKind.Global && Window != 0)
            throw new ArgumentOutOfRangeException(nameof(Window), Window, "global attention has no window; must be 0");
        if (Attention != AttentionKind.Global && Window < 1)
            throw new ArgumentOutOfRangeException(nameof(Window), Window, $"{AttentionKinds.Name(Attention)} attention needs a window half-width >= 1");
        if ((uint)BosId >= (uint)TargetVocabularySize) throw new ArgumentOutOfRangeException(nameof(BosId), BosId, $"must be a target id in [0, {TargetVocabularySize})");
        if ((uint)EosId >= (uint)TargetVocabularySize) throw new ArgumentOutOfRangeException(nameof(EosId), EosId, $"must be a target id in [0, {TargetVocabularySize})");
        if (BosId == EosId) throw new ArgumentException("BOS and EOS must be different ids", nameof(EosId));
    }

    private const string Prefix = "seq2seq.";

    /// <summary>The config as safetensors metadata (keys "seq2seq.*").</summary>
    public IEnumerable<KeyValuePair<string, string>> ToMetadata()
    {
        string I(int v) => v.ToString(CultureInfo.InvariantCulture);
        yield return new(Prefix + "cell", Cell.ToString());
        yield return new(Prefix + "source_vocab", I(SourceVocabularySize));
        yield return new(Prefix + "target_vocab", I(TargetVocabularySize));
        yield return new(Prefix + "embedding_size", I(EmbeddingSize));
        yield return new(Prefix + "hidden_size", I(HiddenSize));
        yield return new(Prefix + "num_layers", I(NumLayers));
        yield return new(Prefix + "bidirectional", Bidirectional ? "1" : "0");
        yield return new(Prefix + "score", AttentionScores.Name(Score));
        yield return new(Prefix + "input_feeding", InputFeeding ? "1" : "0");
        yield return new(Prefix + "attention", AttentionKinds.Name(Attention));
        yield return new(Prefix + "window", I(Window));
        yield return new(Prefix + "reverse_source", ReverseSource ? "1" : "0");
        yield return new(Prefix + "bos", I(BosId));
        yield return new(Prefix + "eos", I(EosId));
    }

    /// <summary>
    /// Reads what <see cref="ToMetadata"/> wrote; a missing or malformed key throws InvalidDataException naming it.
    /// Files written before local attention and source reversal (no "attention", "window", "reverse_source") load as global, not reversed.
    /// </summary>
    public static Seq2SeqConfig FromMetadata(IReadOnlyDictionary<string, string> metadata, string source)
    {
        string Get(string key) => metadata.TryGetValue(Prefix + key, out string? v) ? v
            : throw new InvalidDataException($"{source}: metadata '{Prefix + key}' is missing (not a seq2seq model file?)");
        string GetOr(string key, string absent) => metadata.TryGetValue(Prefix + key, out string? v) ? v : absent;
        int Int(string key) => int.TryParse(Get(key), NumberStyles.Integer, CultureInfo.InvariantCulture, out int v) ? v
            : throw new InvalidDataException($"{source}: metadata '{Prefix + key}' must be an integer, got '{Get(key)}'");
        try
        {
            var config = new Seq2SeqConfig
            {
                Cell = Enum.TryParse(Get("cell"), out CellKind cell) ? cell : throw new InvalidDataException($"{source}: unknown cell '{Get("cell")}'"),
                SourceVocabularySize = Int("source_vocab"),
                TargetVocabularySize = Int("target_vocab"),
                EmbeddingSize = Int("embedding_size"),
                HiddenSize = Int("hidden_size"),
                NumLayers = Int("num_layers"),
                Bidirectional = Int("bidirectional") == 1,
                Score = AttentionScores.Parse(Get("score")),
                InputFeeding = Int("input_feeding") == 1,
                Attention = AttentionKinds.Parse(GetOr("attention", "global")),
                Window = int.TryParse(GetOr("window", "0"), NumberStyles.Integer, CultureInfo.InvariantCulture, out int window) ? window
                    : throw new InvalidDataException($"{source}: metadata '{Prefix}window' must be an integer, got '{GetOr("window", "0")}'"),
                ReverseSource = GetOr("reverse_source", "0") == "1",
                BosId = Int("bos"),
                EosId = Int("eos"),
            };
            config.Validate();
            return config;
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"{source}: {e.Message}", e);
        }
    }
}
