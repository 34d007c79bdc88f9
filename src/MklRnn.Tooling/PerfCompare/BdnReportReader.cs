using System.Text.Json;

namespace MklRnn.Tooling.PerfCompare;

/// <summary>
/// Reads BenchmarkDotNet's full JSON export (<c>*-report-full.json</c>, <c>*-report-full-compressed.json</c>).
/// </summary>
/// <remarks>
/// Used: <c>Benchmarks[].FullName</c>; <c>Statistics.Median</c>; <c>Memory.BytesAllocatedPerOperation</c>;
/// <c>Measurements[]</c> with <c>IterationMode</c> "Workload" and <c>IterationStage</c> "Actual", whose
/// <c>Nanoseconds / Operations</c> is the raw time per operation of one iteration (when a report has no
/// measurements, <c>Statistics.OriginalValues</c> stands in); and <c>HostEnvironmentInfo</c>.
/// </remarks>
public static class BdnReportReader
{
    public static BdnReport Read(string file)
    {
        using JsonDocument doc = JsonFile.Parse(file);
        JsonElement root = doc.RootElement;
        if (root.ValueKind != JsonValueKind.Object
            || !root.TryGetProperty("Benchmarks", out JsonElement benchmarks)
            || benchmarks.ValueKind != JsonValueKind.Array)
        {
            throw new PerfDataException(file,
                "no \"Benchmarks\" array: not a BenchmarkDotNet full JSON report (*-report-full.json)");
        }

        var results = new List<BenchmarkResult>();
        int index = 0;
        foreach (JsonElement benchmark in benchmarks.EnumerateArray())
        {
            results.Add(ReadBenchmark(file, benchmark, $"Benchmarks[{index}]"));
            index++;
        }

        MachineFacts host = root.TryGetProperty("HostEnvironmentInfo", out JsonElement env)
            && env.ValueKind == JsonValueKind.Object
                ? ReadHost(env)
                : MachineFacts.Empty;
        return new BdnReport(file, results, host);
    }

    private static BenchmarkResult ReadBenchmark(string file, JsonElement benchmark, string where)
    {
        if (benchmark.ValueKind != JsonValueKind.Object)
            throw new PerfDataException(file, $"{where} is not an object");
        if (!benchmark.TryGetProperty("FullName", out JsonElement nameElement)
            || nameElement.ValueKind != JsonValueKind.String
            || string.IsNullOrWhiteSpace(nameElement.GetString()))
        {
            throw new PerfDataException(file, $"{where} has no FullName");
        }
        string name = nameElement.GetString()!;

        double? median = null;
        JsonElement statistics = default;
        bool hasStatistics = benchmark.TryGetProperty("Statistics", out statistics)
            && statistics.ValueKind == JsonValueKind.Object;
        if (hasStatistics)
            median = OptionalNumber(file, statistics, "Median", $"{name}: Statistics");

        long? allocated = null;
        if (benchmark.TryGetProperty("Memory", out JsonElement memory) && memory.ValueKind == JsonValueKind.Object)
        {
            double? bytes = OptionalNumber(file, memory, "BytesAllocatedPerOperation", $"{name}: Memory");
            allocated = bytes is double b ? (long)Math.Round(b) : null;
        }

        var measurements = new List<double>();
        if (benchmark.TryGetProperty("Measurements", out JsonElement list) && list.ValueKind == JsonValueKind.Array)
        {
            int i = 0;
            foreach (JsonElement m in list.EnumerateArray())
            {
                string at = $"{name}: Measurements[{i++}]";
                if (m.ValueKind != JsonValueKind.Object)
                    throw new PerfDataException(file, $"{at} is not an object");
                if (Text(m, "IterationMode") != "Workload" || Text(m, "IterationStage") != "Actual")
                    continue;
                double operations = OptionalNumber(file, m, "Operations", at)
                    ?? throw new PerfDataException(file, $"{at} has no Operations");
                double nanoseconds = OptionalNumber(file, m, "Nanoseconds", at)
                    ?? throw new PerfDataException(file, $"{at} has no Nanoseconds");
                if (operations > 0)
                    measurements.Add(nanoseconds / operations);
            }
        }
        if (measurements.Count == 0 && hasStatistics
            && statistics.TryGetProperty("OriginalValues", out JsonElement original)
            && original.ValueKind == JsonValueKind.Array)
        {
            foreach (JsonElement v in original.EnumerateArray())
                if (v.ValueKind == JsonValueKind.Number)
                    measurements.Add(v.GetDouble());
        }

        return new BenchmarkResult(name, measurements, median, allocated, file);
    }

    private static MachineFacts ReadHost(JsonElement env)
    {
        var facts = new Dictionary<string, string>(StringComparer.Ordinal);
        void Take(string property, string key)
        {
            if (env.TryGetProperty(property, out JsonElement v) && JsonFile.AsText(v) is { Length: > 0 } text)
                facts[key] = text;
        }
        Take("ProcessorName", MachineFacts.Cpu);
        Take("LogicalCoreCount", MachineFacts.Cores);
        Take("PhysicalCoreCount", MachineFacts.PhysicalCores);
        Take("OsVersion", MachineFacts.Os);
        Take("RuntimeVersion", MachineFacts.DotnetVersion);
        Take("BenchmarkDotNetVersion", MachineFacts.BenchmarkDotNetVersion);
        return new MachineFacts(facts);
    }

    private static string? Text(JsonElement obj, string property) =>
        obj.TryGetProperty(property, out JsonElement v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    /// <summary>A numeric property; null when absent or null; an error when it is something else.</summary>
    private static double? OptionalNumber(string file, JsonElement obj, string property, string where)
    {
        if (!obj.TryGetProperty(property, out JsonElement v) || v.ValueKind == JsonValueKind.Null)
            return null;
        if (v.ValueKind == JsonValueKind.Number)
            return v.GetDouble();
        // BenchmarkDotNet writes non-finite values as strings ("NaN") in some versions: treat as absent.
        if (v.ValueKind == JsonValueKind.String && v.GetString() is "NaN" or "Infinity" or "-Infinity")
            return null;
        throw new PerfDataException(file, $"{where}.{property} is not a number ({v.ValueKind})");
    }
}
