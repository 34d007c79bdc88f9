using System.Globalization;
using MklRnn.IO;

namespace MklRnn.Tooling.Conformance;

/// <summary>Typed access to a case's string metadata (FORMAT.md), invariant culture.</summary>
public sealed class CaseMetadata(SafeTensorsFile file)
{
    public string this[string key] => file.Metadata.TryGetValue(key, out string? v) ? v
        : throw new InvalidDataException($"{file.SourceName}: metadata '{key}' is missing");

    public string Text(string key, string fallback) => file.Metadata.TryGetValue(key, out string? v) ? v : fallback;

    public int Int(string key, int fallback = 0) =>
        file.Metadata.TryGetValue(key, out string? v) ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;

    public bool Flag(string key) => Int(key) == 1;

    public double Double(string key, double fallback = 0) =>
        file.Metadata.TryGetValue(key, out string? v) ? double.Parse(v, CultureInfo.InvariantCulture) : fallback;
}
