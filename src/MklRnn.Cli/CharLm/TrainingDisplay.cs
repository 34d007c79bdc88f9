using System.Diagnostics;
using System.Globalization;
using MklRnn.Training;
using Spectre.Console;

namespace MklRnn.Cli.CharLm;

/// <summary>
/// Runs the trainer for a verb: a live Spectre progress bar (loss, perplexity, tokens/s) on a terminal, a plain
/// line every few seconds when the output is redirected; Ctrl-C stops at the next step and saves a checkpoint;
/// a summary table at the end.
/// </summary>
internal static class TrainingDisplay
{
    private const double PlainLineSeconds = 5;

    public static TrainResult Run(TrainOptions options, TextWriter output)
    {
        using var cancel = new CancellationTokenSource();
        ConsoleCancelEventHandler onCancel = (_, e) =>
        {
            e.Cancel = true; // let the trainer finish its step and save
            cancel.Cancel();
        };
        Console.CancelKeyPress += onCancel;
        try
        {
            bool terminal = ReferenceEquals(output, Console.Out) && !Console.IsOutputRedirected;
            TrainResult result = terminal ? RunLive(options, cancel.Token) : RunPlain(options, output, cancel.Token);
            if (result.Interrupted) output.WriteLine($"interrupted: checkpoint saved at step {result.Steps}");
            WriteSummary(result, output, terminal);
            return result;
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
        }
    }

    private static TrainResult RunLive(TrainOptions options, CancellationToken cancel)
    {
        TrainResult? result = null;
        AnsiConsole.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(),
                new ElapsedTimeColumn(), new RemainingTimeColumn())
            .Start(context =>
            {
                ProgressTask task = context.AddTask("starting", maxValue: 1000);
                result = Trainer.Run(options,
                    status =>
                    {
                        task.Description = Describe(status);
                        task.Value = status.Fraction * 1000;
                    },
                    message => AnsiConsole.MarkupLine(Markup.Escape(message)),
                    cancel);
                task.Value = 1000;
            });
        return result!;
    }

    private static TrainResult RunPlain(TrainOptions options, TextWriter output, CancellationToken cancel)
    {
        var clock = Stopwatch.StartNew();
        double next = PlainLineSeconds;
        return Trainer.Run(options,
            status =>
            {
                if (clock.Elapsed.TotalSeconds < next) return;
                next = clock.Elapsed.TotalSeconds + PlainLineSeconds;
                output.WriteLine($"{status.Fraction * 100,3:F0}%  {Describe(status)}");
            },
            output.WriteLine, cancel);
    }

    private static string Describe(TrainingStatus s) =>
        FormattableString.Invariant($"step {s.Step,6}  epoch {s.Epochs:F2}  loss {s.Loss:F3}  ppl {s.Perplexity,6:F2}  {s.TokensPerSecond,7:N0} tok/s")
        + (double.IsFinite(s.ValidationPerplexity) ? FormattableString.Invariant($"  val ppl {s.ValidationPerplexity:F2}") : "");

    private static void WriteSummary(TrainResult r, TextWriter output, bool terminal)
    {
        var table = new Table().Title("training summary").AddColumn("").AddColumn(new TableColumn("").RightAligned()).HideHeaders();
        void Row(string name, string value) => table.AddRow(Markup.Escape(name), Markup.Escape(value));
        string F(double v, string format) => v.ToString(format, CultureInfo.InvariantCulture);
        Row("model", r.Spec.ToString());
        Row("steps", F(r.Steps, "N0"));
        Row("epochs", F(r.Epochs, "F2"));
        Row("characters this session", F(r.SessionTokens, "N0"));
        Row("training time this session", $"{F(r.SessionSeconds, "F1")} s");
        Row("characters per second", F(r.TokensPerSecond, "N0"));
        Row("training loss (last steps)", $"{F(r.TrainLoss, "F4")} (perplexity {F(r.TrainPerplexity, "F3")})");
        Row("validation loss", $"{F(r.ValidationLoss, "F4")} (perplexity {F(r.ValidationPerplexity, "F3")})");
        if (r.BestPath != null) Row("best validation", $"perplexity {F(Perplexity.FromMeanLoss(r.BestValidationLoss), "F3")}: {r.BestPath}");
        if (r.StopReason != null) Row("stopped", r.StopReason);
        Row("checkpoint", r.CheckpointPath);
        Row("loss curve", r.PlotPath);
        IAnsiConsole console = terminal ? AnsiConsole.Console : AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(output),
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
        });
        if (!terminal) console.Profile.Width = 160;
        console.Write(table);
    }
}
