using System.CommandLine;
using MklRnn.Tooling.PerfCompare;

namespace MklRnn.Cli.Verbs;

/// <summary>
/// <c>mklrnn perf-compare BASE NEW [--threshold 5%] [--alpha 0.05] [--noise 10%]</c>: compares two BenchmarkDotNet
/// result sets (a folder of *-report-full.json files, or one such file). Exit code 0: no regression; 1: at least one
/// regression; 2: unreadable input or bad option values.
/// </summary>
internal static class PerfCompareVerb
{
    public static Command Create()
    {
        var baseArgument = new Argument<string>("base")
        {
            Description = "Baseline results: a folder of BenchmarkDotNet *-report-full.json files, or one such file",
        };
        var newArgument = new Argument<string>("new")
        {
            Description = "New results to judge against the baseline (folder or file)",
        };
        var threshold = new Option<string>("--threshold")
        {
            Description = "Smallest median change that counts, e.g. 5% or 0.05",
            DefaultValueFactory = _ => "5%",
        };
        var alpha = new Option<string>("--alpha")
        {
            Description = "Significance level of the Mann-Whitney U test",
            DefaultValueFactory = _ => "0.05",
        };
        var noise = new Option<string>("--noise")
        {
            Description = "Flag results whose coefficient of variation exceeds this as noisy, e.g. 10%",
            DefaultValueFactory = _ => "10%",
        };

        var command = new Command("perf-compare",
            "Compare two benchmark result sets: regressions, improvements, missing benchmarks, machine differences. "
            + "Exit code 1 on any regression, 2 on bad input.")
        {
            baseArgument, newArgument, threshold, alpha, noise,
        };
        command.SetAction(parseResult => Run(
            parseResult.GetValue(baseArgument)!,
            parseResult.GetValue(newArgument)!,
            parseResult.GetValue(threshold)!,
            parseResult.GetValue(alpha)!,
            parseResult.GetValue(noise)!,
            parseResult.InvocationConfiguration.Output));
        return command;
    }

    /// <summary>The verb's work, callable in-process; returns the exit code (bad input throws: exit 2).</summary>
    internal static int Run(string basePath, string newPath, string threshold, string alpha, string noise, TextWriter output)
    {
        ComparisonOptions options = ComparisonOptions.Parse(threshold, alpha, noise);
        ResultSet baseSet = ResultSetLoader.Load(basePath);
        ResultSet newSet = ResultSetLoader.Load(newPath);
        ComparisonReport report = PerfComparer.Compare(baseSet, newSet, options);
        ReportRenderer.Render(report, output);
        return report.ExitCode;
    }
}
