using System.Diagnostics;
using System.Text.Json;
using MklRnn.IO;
using MklRnn.Tooling.Bench;

namespace MklRnn.Perf;

/// <summary>
/// Writes machine.json next to the results: the facts perf-compare shows and checks (CPU, cores, .NET, MKL version,
/// threading layer, MKL threads), plus the suite's mode, BenchmarkDotNet's version and the source commit.
/// A flat object of strings, as MklRnn.Tooling's MachineJsonReader (perf-compare) reads it. Written before the run
/// (so a failed run's partial results have it) and again after it with the precisions the benchmarks that ran used
/// (<see cref="BenchmarkPrecisions"/>: "f32", or e.g. "f32,bf16,int8" when the Precision category ran).
/// </summary>
public static class MachineJson
{
    public const string FileName = "machine.json";

    public static void Write(PerfOptions options, string? precisions = null)
    {
        Directory.CreateDirectory(options.ArtifactsPath);
        string path = Path.Combine(options.ArtifactsPath, FileName);
        var facts = new SortedDictionary<string, string>(Facts(options.Quick), StringComparer.Ordinal);
        if (precisions != null) facts[BenchmarkPrecisions.Key] = precisions;
        AtomicFile.Write(path, stream => JsonSerializer.Serialize(stream, facts, new JsonSerializerOptions { WriteIndented = true }));
        Console.WriteLine($"// machine facts: {path}");
    }

    public static Dictionary<string, string> Facts(bool quick)
    {
        // The benchmarks run with MKL at every core (PerfSetup.Threads); record that setting.
        PerfSetup.UseAllCores();
        var facts = new Dictionary<string, string>(MklRuntime.MachineFacts(), StringComparer.Ordinal)
        {
            ["benchmarkdotnet_version"] = typeof(BenchmarkDotNet.Running.BenchmarkRunner).Assembly.GetName().Version?.ToString() ?? "",
            ["suite_mode"] = quick ? "quick" : "full",
        };
        if (GitCommit() is string commit) facts["mklrnn_commit"] = commit;
        return facts;
    }

    private static string? GitCommit()
    {
        try
        {
            var start = new ProcessStartInfo("git", "rev-parse --short HEAD")
            {
                RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
                WorkingDirectory = AppContext.BaseDirectory,
            };
            using Process? git = Process.Start(start);
            if (git == null) return null;
            string text = git.StandardOutput.ReadToEnd().Trim();
            git.WaitForExit();
            return git.ExitCode == 0 && text.Length > 0 ? text : null;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null; // no git on this machine
        }
    }
}
