namespace MklRnn.Tooling.PerfCompare;

/// <summary>One machine or library fact of both sets, side by side; null where a set does not know it.</summary>
/// <param name="MustMatch">Whether a difference makes the timings incomparable (and raises a warning).</param>
public sealed record MachineFactRow(string Key, string? Base, string? New, bool MustMatch)
{
    public bool Differs => !string.Equals(Base?.Trim(), New?.Trim(), StringComparison.Ordinal);
}
