namespace MklRnn.Fuzz;

/// <summary>
/// One thing to fuzz: a loader run on the bytes of a file (also written to <c>path</c>, for loaders that
/// take a path), and the exception types its documentation allows for a bad file. Any other exception,
/// a hang or a crash is a finding.
/// </summary>
internal sealed record FuzzTarget(string Name, Action<byte[], string> Run, params Type[] Documented);
