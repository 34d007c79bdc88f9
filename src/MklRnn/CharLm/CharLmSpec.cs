namespace MklRnn.CharLm;

/// <summary>The architecture of a character LM: Embedding(V, E) -> recurrent stack (L layers of H) -> Linear(H, V).</summary>
public sealed record CharLmSpec(CellKind Cell, int VocabularySize, int EmbeddingSize, int HiddenSize, int NumLayers, float Dropout = 0f)
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
