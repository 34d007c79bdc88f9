using System.Text.Json;

namespace MklRnn.Tests.Tooling.PerfCompare;

/// <summary>
/// Writes synthetic files shaped like BenchmarkDotNet's full JSON export: Benchmarks with FullName, Statistics,
/// Memory and Measurements (Overhead, Workload/Warmup and Workload/Actual iterations; only the last should count),
/// and HostEnvironmentInfo.
/// </summary>
internal sealed class BdnJsonBuilder
{
    private const long Operations = 16;
    private readonly List<(string Name, double[] PerOp, long? Bytes)> _benchmarks = [];

    public string Cpu { get; set; } = "Synthetic CPU @ 3.0GHz";
    public int Cores { get; set; } = 2;
    public string Runtime { get; set; } = ".NET 10.0.0 (10.0.25.50000)";

    /// <summary>A benchmark of <paramref name="n"/> iterations, normal around <paramref name="meanNs"/>.</summary>
    public BdnJsonBuilder Add(string fullName, double meanNs, double cv, int seed, int n = 20, long? bytes = 0)
    {
        var random = new Random(seed);
        var perOp = new double[n];
        for (int i = 0; i < n; i++)
            perOp[i] = meanNs * (1 + cv * Gaussian(random));
        _benchmarks.Add((fullName, perOp, bytes));
        return this;
    }

    /// <summary>A benchmark with the given per-operation measurements.</summary>
    public BdnJsonBuilder AddRaw(string fullName, double[] perOp, long? bytes = 0)
    {
        _benchmarks.Add((fullName, perOp, bytes));
        return this;
    }

    public string ToJson(bool indented = true)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = indented }))
        {
            w.WriteStartObject();
            w.WriteString("Title", "Synthetic-20250101-000000");
            w.WriteStartObject("HostEnvironmentInfo");
            w.WriteString("BenchmarkDotNetCaption", "BenchmarkDotNet");
            w.WriteString("BenchmarkDotNetVersion", "0.14.0");
            w.WriteString("OsVersion", "Ubuntu 24.04 LTS (Noble Numbat)");
            w.WriteString("ProcessorName", Cpu);
            w.WriteNumber("PhysicalProcessorCount", 1);
            w.WriteNumber("PhysicalCoreCount", Cores);
            w.WriteNumber("LogicalCoreCount", Cores);
            w.WriteString("RuntimeVersion", Runtime);
            w.WriteString("Architecture", "X64");
            w.WriteEndObject();
            w.WriteStartArray("Benchmarks");
            foreach (var (name, perOp, bytes) in _benchmarks)
                WriteBenchmark(w, name, perOp, bytes);
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(stream.ToArray());
    }

    public string WriteTo(string path, bool indented = true)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, ToJson(indented));
        return path;
    }

    private static void WriteBenchmark(Utf8JsonWriter w, string name, double[] perOp, long? bytes)
    {
        int dot = name.LastIndexOf('.');
        w.WriteStartObject();
        w.WriteString("DisplayInfo", $"{name}: DefaultJob");
        w.WriteString("Namespace", "Synthetic");
        w.WriteString("Type", dot > 0 ? name[..dot] : name);
        w.WriteString("Method", dot > 0 ? name[(dot + 1)..] : name);
        w.WriteString("MethodTitle", dot > 0 ? name[(dot + 1)..] : name);
        w.WriteString("Parameters", "");
        w.WriteString("FullName", name);

        double[] sorted = [.. perOp];
        Array.Sort(sorted);
        double mean = perOp.Average();
        double sd = Math.Sqrt(perOp.Sum(v => (v - mean) * (v - mean)) / (perOp.Length - 1));
        w.WriteStartObject("Statistics");
        w.WriteStartArray("OriginalValues");
        foreach (double v in perOp)
            w.WriteNumberValue(v);
        w.WriteEndArray();
        w.WriteNumber("N", perOp.Length);
        w.WriteNumber("Min", sorted[0]);
        w.WriteNumber("Median", sorted.Length % 2 == 1
            ? sorted[sorted.Length / 2]
            : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2);
        w.WriteNumber("Mean", mean);
        w.WriteNumber("StandardDeviation", sd);
        w.WriteNumber("Max", sorted[^1]);
        w.WriteEndObject();

        w.WriteStartObject("Memory");
        w.WriteNumber("Gen0Collections", 0);
        w.WriteNumber("Gen1Collections", 0);
        w.WriteNumber("Gen2Collections", 0);
        w.WriteNumber("TotalOperations", Operations * perOp.Length);
        if (bytes is long b)
            w.WriteNumber("BytesAllocatedPerOperation", b);
        else
            w.WriteNull("BytesAllocatedPerOperation");
        w.WriteEndObject();

        w.WriteStartArray("Measurements");
        int index = 1;
        // Iterations that must not count: huge values would wreck the comparison if they were read.
        WriteMeasurement(w, "Overhead", "Actual", index++, 1e3);
        WriteMeasurement(w, "Workload", "Warmup", index++, perOp[0] * Operations * 50);
        foreach (double v in perOp)
            WriteMeasurement(w, "Workload", "Actual", index++, v * Operations);
        WriteMeasurement(w, "Workload", "Result", index, perOp[0] * Operations * 50);
        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static void WriteMeasurement(Utf8JsonWriter w, string mode, string stage, int index, double ns)
    {
        w.WriteStartObject();
        w.WriteString("IterationMode", mode);
        w.WriteString("IterationStage", stage);
        w.WriteNumber("LaunchIndex", 1);
        w.WriteNumber("IterationIndex", index);
        w.WriteNumber("Operations", Operations);
        w.WriteNumber("Nanoseconds", ns);
        w.WriteEndObject();
    }

    private static double Gaussian(Random random)
    {
        double u1 = 1 - random.NextDouble(), u2 = random.NextDouble();
        return Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }
}
