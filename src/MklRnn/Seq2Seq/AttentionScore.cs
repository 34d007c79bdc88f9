namespace MklRnn.Seq2Seq;

/// <summary>Luong et al. (2015) alignment scores between a decoder state h_t and an encoder state h_s.</summary>
public enum AttentionScore
{
    /// <summary>h_tᵀ h_s (no parameters).</summary>
    Dot,

    /// <summary>h_tᵀ W_a h_s, W_a (H, H).</summary>
    General,

    /// <summary>v_aᵀ tanh(W_a [h_t; h_s]), W_a (H, 2H), v_a (H).</summary>
    Concat,
}

/// <summary>The score names of the conformance format and the CLI ("dot", "general", "concat").</summary>
public static class AttentionScores
{
    public static string Name(AttentionScore score) => score switch
    {
        AttentionScore.Dot => "dot",
        AttentionScore.General => "general",
        AttentionScore.Concat => "concat",
        _ => throw new ArgumentOutOfRangeException(nameof(score), score, "unknown attention score"),
    };

    public static AttentionScore Parse(string name) => name switch
    {
        "dot" => AttentionScore.Dot,
        "general" => AttentionScore.General,
        "concat" => AttentionScore.Concat,
        _ => throw new ArgumentException($"attention score: expected dot, general or concat, got '{name}'", nameof(name)),
    };
}
