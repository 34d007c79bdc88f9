namespace MklRnn.Training;

/// <summary>
/// Finds a NaN or infinity in parameters: what training checks before every checkpoint write and loaders check
/// after reading, so a diverged model is never saved over good work nor silently evaluated.
/// </summary>
public static class NonFiniteCheck
{
    /// <summary>The first parameter (in list order) holding a NaN or infinity, with the index and value found; null when all are finite.</summary>
    public static (Parameter Parameter, int Index, float Value)? Find(IReadOnlyList<Parameter> parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        for (int i = 0; i < parameters.Count; i++)
        {
            ReadOnlySpan<float> values = parameters[i].Values;
            for (int j = 0; j < values.Length; j++)
                if (!float.IsFinite(values[j])) return (parameters[i], j, values[j]);
        }
        return null;
    }

    /// <summary>"weight_hh_l0[12] = NaN" style text for messages, with a prefix naming the module.</summary>
    public static string Describe((Parameter Parameter, int Index, float Value) found, string prefix = "") =>
        $"tensor '{prefix}{found.Parameter.Name}' holds {found.Value.ToString(System.Globalization.CultureInfo.InvariantCulture)} at element {found.Index}";
}
