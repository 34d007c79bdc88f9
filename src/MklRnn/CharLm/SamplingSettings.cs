namespace MklRnn.CharLm;

/// <summary>
/// How one generation stream picks its next character: softmax(logits / Temperature) (0 = the most likely
/// character), restricted to the TopK most likely (0 = all), then to the smallest set whose probability reaches
/// TopP (1 = all), drawn with a Random seeded by Seed.
/// </summary>
public sealed record SamplingSettings(float Temperature = 1f, int TopK = 0, float TopP = 1f, int Seed = 0)
{
    /// <summary>Throws a CharLmException naming the first bad field (JSON field names, as the server reports them).</summary>
    public void Validate()
    {
        if (!(Temperature >= 0) || !float.IsFinite(Temperature)) throw new CharLmException($"temperature must be a finite value >= 0, got {Temperature}");
        if (TopK < 0) throw new CharLmException($"top_k must be >= 0 (0 = all characters), got {TopK}");
        if (!(TopP > 0 && TopP <= 1)) throw new CharLmException($"top_p must be in (0, 1], got {TopP}");
    }
}
