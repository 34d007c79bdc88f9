namespace MklRnn;

/// <summary>Parameter initialisations shared by the modules.</summary>
public static class ParameterInit
{
    /// <summary>
    /// PyTorch's default for linear and recurrent layers: every value of every parameter uniform in
    /// [-1/sqrt(fanIn), 1/sqrt(fanIn)], drawn in parameter order from one generator seeded with seed.
    /// </summary>
    public static void UniformFanIn(IEnumerable<Parameter> parameters, int fanIn, int seed)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(fanIn);
        var random = new Random(seed);
        float bound = 1f / MathF.Sqrt(fanIn);
        foreach (Parameter p in parameters)
        {
            Span<float> data = p.Data;
            for (int i = 0; i < data.Length; i++) data[i] = (random.NextSingle() * 2f - 1f) * bound;
        }
    }
}
