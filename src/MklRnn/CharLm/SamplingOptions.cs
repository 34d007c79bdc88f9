namespace MklRnn.CharLm;

/// <summary>
/// How <see cref="Sampler"/> picks each character: softmax(logits / Temperature) (0 = always the most likely
/// character: greedy), restricted to the TopK most likely characters (0 = all), then to the smallest set of those
/// whose probability adds up to TopP (1 = all; nucleus sampling, as Hugging Face's top_p: top-k first, then top-p).
/// Generation stops before the first occurrence of Stop in the continuation (null or empty = never), which is not
/// part of the result.
/// </summary>
public sealed record SamplingOptions(float Temperature = 0.8f, int TopK = 0, float TopP = 1f, string? Stop = null, int Seed = 1)
{
    /// <summary>Throws a CharLmException naming the first bad field (by its CLI flag).</summary>
    public void Validate()
    {
        if (!(Temperature >= 0) || !float.IsFinite(Temperature)) throw new CharLmException($"--temperature must be >= 0 (0 = greedy), got {Temperature}");
        if (TopK < 0) throw new CharLmException($"--top-k must be >= 0 (0 = all characters), got {TopK}");
        if (!(TopP > 0 && TopP <= 1)) throw new CharLmException($"--top-p must be in (0, 1] (1 = all characters), got {TopP}");
    }
}
