namespace MklRnn.IO;

/// <summary>How a state_dict must match the module it is loaded into.</summary>
public enum StateDictMatch
{
    /// <summary>Every parameter present; extra tensors ignored (a bigger model's file loads its part).</summary>
    RequireAll,

    /// <summary>Every parameter present and no tensor under the prefix left over (PyTorch's strict=True).</summary>
    Strict,

    /// <summary>Load the parameters present, skip the rest (PyTorch's strict=False); shapes must still match.</summary>
    Partial,
}
