namespace MklRnn.CharLm;

/// <summary>
/// The one place batched generation picks a character: the library's <see cref="Sampler.Choose"/> (temperature,
/// top-k, then top-p), so a stream draws exactly what `sample` draws for the same seed and settings.
/// </summary>
internal static class TokenChoice
{
    public static int Choose(ReadOnlySpan<float> logits, SamplingSettings settings, Random random, double[] probabilities, int[] order) =>
        Sampler.Choose(logits, settings.Temperature, settings.TopK, settings.TopP, random, probabilities, order);
}
