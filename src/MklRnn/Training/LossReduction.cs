namespace MklRnn.Training;

/// <summary>How per-token losses are combined into one loss (PyTorch's <c>reduction</c>).</summary>
public enum LossReduction
{
    /// <summary>Average over the counted (non-ignored) tokens.</summary>
    Mean,

    /// <summary>Sum over the counted (non-ignored) tokens.</summary>
    Sum,
}
