namespace MklRnn.Cli.Classify;

/// <summary>The architecture of a <see cref="SequenceClassifier"/>.</summary>
internal sealed record ClassifierConfig
{
    public CellKind Cell { get; init; } = CellKind.Lstm;
    public int VocabularySize { get; init; } = BracketTask.Alphabet.Length;
    public int ClassCount { get; init; } = BracketTask.ClassCount;
    public int EmbeddingSize { get; init; } = 16;
    public int HiddenSize { get; init; } = 64;
    public int NumLayers { get; init; } = 1;
    public bool Bidirectional { get; init; }
}
