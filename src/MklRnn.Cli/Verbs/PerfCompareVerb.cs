using System.CommandLine;
using MklRnn.Cli.PerfCompare;
using Spectre.Console;

namespace MklRnn.Cli;

/// <summary>
/// <c>mklrnn perf-compare BASE NEW [--threshold 5%] [--alpha 0.05] [--noise 10%]</c>: compares two BenchmarkDotNet
/// result sets (a folder of *-report-full.json files, or one such file). Exit code 0: no regression; 1: at least one
/// regression; 2: unreadable input or bad option values.
/// </summary>
internal static class PerfCompareVerb
{
    public const int NoRegression = 0;
    public const int Regression = 1;
    public const int BadInput = 2;

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
            parseResult.InvocationConfiguration.Output,
            parseResult.InvocationConfiguration.Error));
        return command;
    }

    /// <summary>The verb's work, callable in-process; returns the exit code.</summary>
    internal static int Run(string basePath, string newPath, string threshold, string alpha, string noise,
        TextWriter output, TextWriter error)
    {
        ComparisonReport report;
        try
        {
            ComparisonOptions options = ComparisonOptions.Parse(threshold, alpha, noise);
            ResultSet baseSet = ResultSetLoader.Load(basePath);
            ResultSet newSet = ResultSetLoader.Load(newPath);
            report = PerfComparer.Compare(baseSet, newSet, options);
        }
        catch (Exception e) when (e is PerfDataException or ArgumentException)
        {
            error.WriteLine($"error: {e.Message}");
            return BadInput;
        }

        ReportRenderer.Render(report, CreateConsole(output));
        return report.ExitCode;
    }

    private static IAnsiConsole CreateConsole(TextWriter output)
    {
        bool terminal = ReferenceEquals(output, Console.Out) && !Console.IsOutputRedirected;
        IAnsiConsole console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(output),
            Ansi = terminal ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = terminal ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
        });
        if (!terminal)
            console.Profile.Width = 200; // redirected: keep long benchmark names on one line in logs
        return console;
    }
}
