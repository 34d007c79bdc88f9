namespace MklRnn.Tooling.Conformance;

/// <summary>The outcome of one conformance case: the worst error over its checked tensors and, on failure, why.</summary>
public sealed record CaseResult(string Name, string Kind, bool Passed, double MaxAbsError, int TensorsChecked, string Message);
