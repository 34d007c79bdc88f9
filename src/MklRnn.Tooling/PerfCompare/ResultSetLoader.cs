namespace MklRnn.Tooling.PerfCompare;

/// <summary>
/// Loads a <see cref="ResultSet"/> from a single BenchmarkDotNet JSON report or from a folder holding any number of
/// them (searched recursively), plus the optional <c>machine.json</c> in the folder (next to the file for a file).
/// </summary>
public static class ResultSetLoader
{
    private const string FullSuffix = "-report-full.json";
    private const string CompressedSuffix = "-report-full-compressed.json";

    public static ResultSet Load(string path)
    {
        string folder;
        IReadOnlyList<string> files;
        if (File.Exists(path))
        {
            folder = Path.GetDirectoryName(Path.GetFullPath(path))!;
            files = [path];
        }
        else if (Directory.Exists(path))
        {
            folder = path;
            files = FindReports(path);
            if (files.Count == 0)
                throw new PerfDataException(path,
                    $"no BenchmarkDotNet full JSON reports (*{FullSuffix}, *{CompressedSuffix}) in this folder");
        }
        else
        {
            throw new PerfDataException(path, "no such file or folder");
        }

        var warnings = new List<string>();
        var benchmarks = new List<BenchmarkResult>();
        var byName = new Dictionary<string, BenchmarkResult>(StringComparer.Ordinal);
        MachineFacts? host = null;
        string? hostFile = null;
        foreach (string file in files)
        {
            BdnReport report = BdnReportReader.Read(file);
            foreach (BenchmarkResult b in report.Benchmarks)
            {
                if (byName.TryGetValue(b.FullName, out BenchmarkResult? first))
                {
                    warnings.Add($"{b.FullName} appears more than once ({first.SourceFile}, {b.SourceFile}); "
                        + "the first is used");
                    continue;
                }
                byName.Add(b.FullName, b);
                benchmarks.Add(b);
            }

            if (report.Host.Values.Count == 0)
                continue;
            if (host is null)
            {
                host = report.Host;
                hostFile = file;
                continue;
            }
            foreach (var (key, value) in report.Host.Values)
                if (host[key] is string earlier && earlier != value)
                    warnings.Add($"reports disagree about {key}: '{earlier}' in {hostFile}, '{value}' in {file}");
        }

        MachineFacts machine = host ?? MachineFacts.Empty;
        string machineJson = Path.Combine(folder, MachineJsonReader.FileName);
        if (File.Exists(machineJson))
            machine = machine.OverlaidWith(MachineJsonReader.Read(machineJson));

        return new ResultSet(path, files, benchmarks, machine, warnings);
    }

    /// <summary>
    /// The full reports under <paramref name="folder"/>, sorted by path. When BenchmarkDotNet exported both the
    /// indented and the compressed form of one report, only the indented one is read: they hold the same run.
    /// </summary>
    private static List<string> FindReports(string folder)
    {
        var all = Directory.EnumerateFiles(folder, "*.json", SearchOption.AllDirectories)
            .Where(f => f.EndsWith(FullSuffix, StringComparison.OrdinalIgnoreCase)
                || f.EndsWith(CompressedSuffix, StringComparison.OrdinalIgnoreCase))
            .ToList();
        var indented = new HashSet<string>(all.Where(f => f.EndsWith(FullSuffix, StringComparison.OrdinalIgnoreCase)),
            StringComparer.OrdinalIgnoreCase);
        return all
            .Where(f => !f.EndsWith(CompressedSuffix, StringComparison.OrdinalIgnoreCase)
                || !indented.Contains(f[..^CompressedSuffix.Length] + FullSuffix))
            .Order(StringComparer.Ordinal)
            .ToList();
    }
}
