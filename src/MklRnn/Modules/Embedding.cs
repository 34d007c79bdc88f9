using MklRnn.Core;

namespace MklRnn.Modules;

/// <summary>
/// A lookup table of learned vectors (torch.nn.Embedding): parameter <c>weight</c> (V, E), optionally
/// name-prefixed ("embedding." gives "embedding.weight"). Forward copies row ids[i] to output row i;
/// Backward adds gradient rows back into weight.Grad (repeated ids accumulate). An optional padding id
/// has a zero row that never receives gradient, as PyTorch's padding_idx.
/// </summary>
public sealed class Embedding : IParameterized, IDisposable
{
    private readonly Parameter[] _parameters;
    private bool _disposed;

    /// <param name="vocabularySize">V, the number of ids.</param>
    /// <param name="embeddingSize">E, the width of each vector.</param>
    /// <param name="namePrefix">Prepended to the parameter name, e.g. "embedding.".</param>
    /// <param name="seed">Seed of the N(0, 1) initialisation.</param>
    /// <param name="paddingIndex">An id in [0, V) whose row stays zero and gets no gradient, or -1 for none.</param>
    public Embedding(int vocabularySize, int embeddingSize, string namePrefix = "", int seed = 0, int paddingIndex = -1)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(vocabularySize);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(embeddingSize);
        ArgumentNullException.ThrowIfNull(namePrefix);
        if (paddingIndex < -1 || paddingIndex >= vocabularySize)
            throw new ArgumentOutOfRangeException(nameof(paddingIndex), paddingIndex, $"expected -1 (none) or an id in [0, {vocabularySize})");
        if ((long)vocabularySize * embeddingSize > int.MaxValue)
            throw new ArgumentOutOfRangeException(nameof(vocabularySize), $"a ({vocabularySize}, {embeddingSize}) table is too large");
        VocabularySize = vocabularySize;
        EmbeddingSize = embeddingSize;
        PaddingIndex = paddingIndex;
        Weight = new Parameter(namePrefix + "weight", vocabularySize, embeddingSize);
        _parameters = [Weight];
        ResetParameters(seed);
    }

    /// <summary>V.</summary>
    public int VocabularySize { get; }

    /// <summary>E.</summary>
    public int EmbeddingSize { get; }

    /// <summary>The padding id, or -1.</summary>
    public int PaddingIndex { get; }

    /// <summary>The (V, E) table.</summary>
    public Parameter Weight { get; }

    /// <summary>The weight.</summary>
    public IReadOnlyList<Parameter> Parameters => _parameters;

    /// <summary>PyTorch's initialisation: every entry N(0, 1) (Box-Muller from a seeded generator); the padding row 0.</summary>
    public void ResetParameters(int seed)
    {
        var random = new Random(seed);
        Span<float> data = Weight.Data;
        for (int i = 0; i < data.Length; i += 2)
        {
            double u1 = 1.0 - random.NextDouble(); // (0, 1]: log is finite
            double u2 = random.NextDouble();
            double radius = Math.Sqrt(-2.0 * Math.Log(u1));
            data[i] = (float)(radius * Math.Cos(2 * Math.PI * u2));
            if (i + 1 < data.Length) data[i + 1] = (float)(radius * Math.Sin(2 * Math.PI * u2));
        }
        if (PaddingIndex >= 0) data.Slice(PaddingIndex * EmbeddingSize, EmbeddingSize).Clear();
    }

    /// <summary>Sets the gradient to zero.</summary>
    public void ZeroGrad() => Weight.ZeroGrad();

    /// <summary>output (ids.Length, E): row i = weight[ids[i]].</summary>
    /// <exception cref="ArgumentOutOfRangeException">an id outside [0, V) (names the position and value).</exception>
    public void Forward(ReadOnlySpan<int> ids, Span<float> output)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        int E = EmbeddingSize;
        Shapes.Require(nameof(output), output.Length, [ids.Length, E], "(ids, E)");
        ValidateIds(ids);
        ReadOnlySpan<float> table = Weight.Values;
        for (int i = 0; i < ids.Length; i++)
            table.Slice(ids[i] * E, E).CopyTo(output.Slice(i * E, E));
    }

    /// <summary>weight.Grad[ids[i]] += gradOutput row i (gradOutput: (ids.Length, E)); the padding id gets nothing.</summary>
    public void Backward(ReadOnlySpan<int> ids, ReadOnlySpan<float> gradOutput)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        int E = EmbeddingSize;
        Shapes.Require(nameof(gradOutput), gradOutput.Length, [ids.Length, E], "(ids, E)");
        ValidateIds(ids);
        Span<float> grad = Weight.Grad;
        for (int i = 0; i < ids.Length; i++)
        {
            if (ids[i] == PaddingIndex) continue;
            Span<float> row = grad.Slice(ids[i] * E, E);
            ReadOnlySpan<float> g = gradOutput.Slice(i * E, E);
            for (int j = 0; j < E; j++) row[j] += g[j];
        }
    }

    private void ValidateIds(ReadOnlySpan<int> ids)
    {
        for (int i = 0; i < ids.Length; i++)
            if ((uint)ids[i] >= (uint)VocabularySize)
                throw new ArgumentOutOfRangeException(nameof(ids), ids[i], $"ids[{i}] = {ids[i]} is not in [0, {VocabularySize})");
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        Weight.Dispose();
    }
}
