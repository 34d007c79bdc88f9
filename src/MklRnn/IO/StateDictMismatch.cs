namespace MklRnn.IO;

/// <summary>What did not match in a state_dict load (PyTorch's missing_keys / unexpected_keys).</summary>
public sealed record StateDictMismatch(IReadOnlyList<string> Missing, IReadOnlyList<string> Unexpected);
