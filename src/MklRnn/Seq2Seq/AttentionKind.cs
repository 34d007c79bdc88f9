namespace MklRnn.Seq2Seq;

/// <summary>Where Luong attention looks (Luong, Pham, Manning 2015, section 3).</summary>
public enum AttentionKind
{
    /// <summary>Every valid source position.</summary>
    Global,

    /// <summary>local-m: the window [p_t - D, p_t + D] around p_t = t, the decoder step (monotonic alignment).</summary>
    LocalMonotonic,

    /// <summary>
    /// local-p: the window around p_t = S · sigmoid(v_pᵀ tanh(W_p h_t)), S the valid source length, with the
    /// normalised weights multiplied by exp(-(s - p_t)² / (2σ²)), σ = D / 2.
    /// </summary>
    LocalPredictive,
}

/// <summary>The names of the CLI and of checkpoints ("global", "local-m", "local-p").</summary>
public static class AttentionKinds
{
    public static string Name(AttentionKind kind) => kind switch
    {
        AttentionKind.Global => "global",
        AttentionKind.LocalMonotonic => "local-m",
        AttentionKind.LocalPredictive => "local-p",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown attention kind"),
    };

    public static AttentionKind Parse(string name) => name switch
    {
        "global" => AttentionKind.Global,
        "local-m" => AttentionKind.LocalMonotonic,
        "local-p" => AttentionKind.LocalPredictive,
        _ => throw new ArgumentException($"attention: expected global, local-m or local-p, got '{name}'", nameof(name)),
    };
}
