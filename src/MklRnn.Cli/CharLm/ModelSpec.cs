namespace MklRnn.Cli.CharLm;

/// <summary>The architecture of a character LM: Embedding(V, E) -> recurrent stack (L layers of H) -> Linear(H, V).</summary>
internal sealed record ModelSpec(CellKind Cell, int VocabularySize, int EmbeddingSize, int HiddenSize, int NumLayers, float Dropout = 0f)
{
    /// <summary>PyTorch's mode name of the cell (metadata `cell`).</summary>
    public string CellName => Cell.ModeName();

    public RnnConfig RnnConfig => new(Cell, EmbeddingSize, HiddenSize, NumLayers) { Dropout = NumLayers > 1 ? Dropout : 0f };

    /// <summary>Throws a CharLmException naming the first bad field.</summary>
    public void Validate()
    {
        if (VocabularySize < 1) throw new CharLmException($"vocabulary size must be >= 1, got {VocabularySize}");
        if (EmbeddingSize < 1) throw new CharLmException($"embedding size must be >= 1, got {EmbeddingSize}");
        if (HiddenSize < 1) throw new CharLmException($"hidden size must be >= 1, got {HiddenSize}");
        if (NumLayers < 1) throw new CharLmException($"number of layers must be >= 1, got {NumLayers}");
        if (!(Dropout >= 0 && Dropout < 1)) throw new CharLmException($"dropout must be in [0, 1), got {Dropout}");
    }

    public override string ToString() =>
        $"{CellName} {NumLayers}x{HiddenSize}, embedding {EmbeddingSize}, vocabulary {VocabularySize}" + (Dropout > 0 ? $", dropout {Dropout}" : "");
}

/// <summary>Cell names: PyTorch's modes in files (LSTM, GRU, RNN_TANH, RNN_RELU); friendlier spellings on the command line.</summary>
internal static class CellNames
{
    public const string CommandLineChoices = "lstm, gru, rnn (tanh), rnn-relu";

    /// <summary>A file's `cell` value or a command-line spelling, case-insensitive; null when unknown.</summary>
    public static CellKind? Parse(string text) => text.Trim().ToUpperInvariant().Replace('-', '_') switch
    {
        "LSTM" => CellKind.Lstm,
        "GRU" => CellKind.Gru,
        "RNN" or "RNN_TANH" or "TANH" => CellKind.RnnTanh,
        "RNN_RELU" or "RELU" => CellKind.RnnRelu,
        _ => null,
    };
}
