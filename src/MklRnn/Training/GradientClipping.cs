namespace MklRnn.Training;

/// <summary>
/// Gradient clipping by global L2 norm, as PyTorch's <c>torch.nn.utils.clip_grad_norm_</c>: the norm of
/// all gradients taken together is computed (in double), and every gradient is multiplied by
/// min(1, maxNorm / (norm + 1e-6)).
/// <para>
/// Non-finite gradients: like PyTorch (error_if_nonfinite = false) the scaling is applied anyway and
/// the non-finite norm is returned. An infinite norm gives a factor of 0 (finite entries become 0, infinite
/// ones NaN); a NaN norm gives a NaN factor (every entry becomes NaN). Callers that want to skip such a
/// step should test the returned norm with <see cref="double.IsFinite"/> — it is returned either way.
/// </para>
/// </summary>
public static class GradientClipping
{
    /// <summary>Added to the norm before dividing, as PyTorch does.</summary>
    public const double Epsilon = 1e-6;

    /// <summary>Clips the gradients of <paramref name="parameters"/>; returns their global norm before clipping.</summary>
    public static double ClipByGlobalNorm(IEnumerable<Parameter> parameters, double maxNorm)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        CheckMaxNorm(maxNorm);
        // A list is used as it is (indexed, no enumerator), so a training step that clips allocates nothing.
        IReadOnlyList<Parameter> list = parameters as IReadOnlyList<Parameter> ?? parameters.ToArray();
        for (int i = 0; i < list.Count; i++)
            if (list[i] == null) throw new ArgumentException($"{nameof(parameters)}[{i}] is null", nameof(parameters));
        double sumSquares = 0;
        for (int i = 0; i < list.Count; i++) sumSquares += SumOfSquares(list[i].Grad);
        double norm = Math.Sqrt(sumSquares);
        double factor = Factor(norm, maxNorm);
        if (factor != 1)
            for (int i = 0; i < list.Count; i++) Scale(list[i].Grad, (float)factor);
        return norm;
    }

    /// <summary>Clips plain gradient arrays in place; returns their global norm before clipping.</summary>
    public static double ClipByGlobalNorm(IReadOnlyList<float[]> gradients, double maxNorm)
    {
        ArgumentNullException.ThrowIfNull(gradients);
        CheckMaxNorm(maxNorm);
        for (int i = 0; i < gradients.Count; i++)
            if (gradients[i] == null) throw new ArgumentException($"{nameof(gradients)}[{i}] is null", nameof(gradients));
        double sumSquares = 0;
        foreach (float[] g in gradients) sumSquares += SumOfSquares(g);
        double norm = Math.Sqrt(sumSquares);
        double factor = Factor(norm, maxNorm);
        if (factor != 1)
            foreach (float[] g in gradients) Scale(g, (float)factor);
        return norm;
    }

    /// <summary>The global L2 norm of the gradients, without changing them.</summary>
    public static double GlobalNorm(IEnumerable<Parameter> parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        double sumSquares = 0;
        foreach (Parameter p in parameters) sumSquares += SumOfSquares(p.Grad);
        return Math.Sqrt(sumSquares);
    }

    /// <summary>min(1, maxNorm / (norm + 1e-6)); NaN when the norm is NaN (Math.Min propagates it, as torch.clamp does).</summary>
    public static double Factor(double norm, double maxNorm) => Math.Min(1.0, maxNorm / (norm + Epsilon));

    private static void CheckMaxNorm(double maxNorm)
    {
        if (!(maxNorm > 0))
            throw new ArgumentOutOfRangeException(nameof(maxNorm), maxNorm, "maxNorm must be positive");
    }

    private static double SumOfSquares(ReadOnlySpan<float> values)
    {
        double sum = 0;
        foreach (float v in values) sum += (double)v * v;
        return sum;
    }

    private static void Scale(Span<float> values, float factor)
    {
        for (int i = 0; i < values.Length; i++) values[i] *= factor;
    }
}
