namespace MklRnn.Tooling.PerfCompare;

/// <summary>
/// A benchmark result set could not be read: a missing path, an unreadable file, malformed or truncated JSON,
/// or JSON that is not a BenchmarkDotNet full report. The message always starts with the offending path.
/// </summary>
public sealed class PerfDataException(string path, string problem, Exception? inner = null)
    : Exception($"{path}: {problem}", inner)
{
    /// <summary>The file or folder at fault.</summary>
    public string PathAtFault { get; } = path;
}
