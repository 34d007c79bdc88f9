namespace MklRnn.CharLm;

/// <summary>
/// The one place batched generation picks a character. Temperature and top-k go through the library's
/// <see cref="Sampler.Choose"/>, so a stream draws exactly what `sample` draws for the same seed. Top-p (nucleus)
/// is handled here until Sampler.Choose gains it; then this becomes a single call.
/// </summary>
internal static class TokenChoice
{
    public static int Choose(ReadOnlySpan<float> logits, SamplingSettings settings, Random random, double[] probabilities, int[] order)
    {
        if (settings.TopP >= 1 || settings.Temperature == 0)
            return Sampler.Choose(logits, settings.Temperature, settings.TopK, random, probabilities, order);
        return ChooseNucleus(logits, settings, random, probabilities, order);
    }

    /// <summary>Top-k, then the smallest prefix (most likely first, ties to the lower id) whose mass reaches top_p.</summary>
    private static int ChooseNucleus(ReadOnlySpan<float> logits, SamplingSettings settings, Random random, double[] probabilities, int[] order)
    {
        int V = logits.Length;
        // Insertion sort of the ids by logit, descending: V is a character vocabulary (~100), and this allocates nothing.
        for (int j = 0; j < V; j++)
        {
            int i = j;
            while (i > 0 && logits[order[i - 1]] < logits[j]) { order[i] = order[i - 1]; i--; }
            order[i] = j;
        }
        int k = settings.TopK == 0 ? V : Math.Min(settings.TopK, V);
        double best = logits[order[0]], total = 0;
        for (int i = 0; i < k; i++)
        {
            probabilities[i] = Math.Exp((logits[order[i]] - best) / settings.Temperature);
            total += probabilities[i];
        }
        int kept = 0;
        double mass = 0;
        while (kept < k && mass < settings.TopP * total) mass += probabilities[kept++];
        double u = random.NextDouble() * mass;
        for (int i = 0; i < kept; i++)
        {
            u -= probabilities[i];
            if (u < 0) return order[i];
        }
        return order[kept - 1];
    }
}
