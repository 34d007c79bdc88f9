using System.Text.Json;

namespace MklRnn.Tooling.PerfCompare;

/// <summary>
/// Reads <c>machine.json</c>, the benchmark runner's record of the machine and libraries: a flat JSON object such as
/// <c>{"cpu": "...", "cores": "8", "mkl_version": "2024.2", "mkl_threading_layer": "sequential", "mkl_threads": "1",
/// "dotnet_version": "10.0.0", "mklrnn_commit": "abc123"}</c>. Any keys are kept; values become text.
/// </summary>
public static class MachineJsonReader
{
    public const string FileName = "machine.json";

    public static MachineFacts Read(string file)
    {
        using JsonDocument doc = JsonFile.Parse(file);
        if (doc.RootElement.ValueKind != JsonValueKind.Object)
            throw new PerfDataException(file, "machine.json must hold a JSON object of facts");
        var facts = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (JsonProperty p in doc.RootElement.EnumerateObject())
            if (JsonFile.AsText(p.Value) is string text)
                facts[p.Name] = text;
        return new MachineFacts(facts);
    }
}
