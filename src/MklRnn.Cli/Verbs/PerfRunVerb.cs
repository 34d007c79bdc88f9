using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using MklRnn.Tooling;

namespace MklRnn.Cli.Verbs;

/// <summary>
/// <c>mklrnn perf-run [--quick] [--out DIR] [--filter GLOB]</c> (what <c>./build.sh perf</c> calls): runs the
/// BenchmarkDotNet suite of perf/MklRnn.Perf into a dated folder under perf/results/, where the suite writes
/// BenchmarkDotNet's full JSON reports (results/*-report-full.json) and machine.json, then prints the folder.
/// That folder is what <c>perf-compare</c> reads.
/// </summary>
internal static class PerfRunVerb
{
    public const string PerfAssembly = "MklRnn.Perf.dll";

    public static Command Create()
    {
        var quick = new Option<bool>("--quick") { Description = "short job on a subset of sizes (< 5 minutes on 2 cores)" };
        var output = new Option<string?>("--out") { Description = "result folder (default: perf/results/<date-time>[-quick] of this source tree)" };
        var filter = new Option<string?>("--filter") { Description = "only benchmarks whose full name matches this glob (BenchmarkDotNet's --filter)" };
        var perfDll = new Option<string?>("--perf-dll") { Description = $"path of {PerfAssembly} (default: found in perf/MklRnn.Perf/bin/Release of this source tree)" };
        var command = new Command("perf-run",
            "Run the BenchmarkDotNet suite (perf/MklRnn.Perf) and write its full JSON results and machine.json to a dated folder.")
        {
            quick, output, filter, perfDll,
        };
        command.SetAction(parse => Run(parse.GetValue(quick), parse.GetValue(output), parse.GetValue(filter),
            parse.GetValue(perfDll), parse.InvocationConfiguration.Output));
        return command;
    }

    internal static int Run(bool quick, string? outputFolder, string? filter, string? perfDll, TextWriter output)
    {
        string? root = SourceRoot();
        string? dll = perfDll ?? (root == null ? null : Path.Combine(root, "perf", "MklRnn.Perf", "bin", "Release", "net10.0", PerfAssembly));
        if (dll == null || !File.Exists(dll))
            throw UsageError.Because($"{PerfAssembly} not found{(dll == null ? "" : " at " + dll)}; build it with ./build.sh (or pass --perf-dll)");
        string stamp = DateTime.Now.ToString("yyyy-MM-dd_HHmmss", CultureInfo.InvariantCulture) + (quick ? "-quick" : "");
        string folder = Path.GetFullPath(outputFolder ?? Path.Combine(root ?? ".", "perf", "results", stamp));
        OutputPath.CheckFolder(folder, "--out"); // before the suite's minutes of work (a bad folder: exit 2)

        var start = new ProcessStartInfo("dotnet") { UseShellExecute = false };
        foreach (string arg in new[] { dll, "--artifacts", folder, "--filter", filter ?? "*" }) start.ArgumentList.Add(arg);
        if (quick) start.ArgumentList.Add("--quick");
        output.WriteLine($"perf-run: running {PerfAssembly}{(quick ? " --quick" : "")} into {folder}");
        using Process process = Process.Start(start) ?? throw new InvalidOperationException("could not start dotnet");
        process.WaitForExit();
        if (process.ExitCode != 0)
            throw new CommandFailure(ExitCodes.Failed, $"the benchmark suite exited with {process.ExitCode}; partial results in {folder}");
        int reports = Directory.EnumerateFiles(folder, "*-report-full.json", SearchOption.AllDirectories).Count();
        bool machine = File.Exists(Path.Combine(folder, "machine.json"));
        if (reports == 0 || !machine)
            throw new CommandFailure(ExitCodes.Failed,
                $"expected full JSON reports and machine.json in {folder}, found {reports} report(s){(machine ? "" : ", no machine.json")}");
        output.WriteLine($"perf-run: {reports} full JSON report(s) and machine.json in {folder}");
        output.WriteLine($"perf-run: compare with: ./build.sh perf-compare <baseline folder> {folder}");
        return 0;
    }

    /// <summary>The source tree this CLI was built in (the folder above bin/ holding MklRnn.sln), if any.</summary>
    private static string? SourceRoot()
    {
        for (DirectoryInfo? dir = new(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "MklRnn.sln"))) return dir.FullName;
        return null;
    }
}
