using System.Globalization;
using Spectre.Console;

namespace MklRnn.Tooling.PerfCompare;

/// <summary>
/// Writes a <see cref="ComparisonReport"/> as Spectre.Console tables. Spectre drops colour and falls back to ASCII
/// borders by itself when the output is redirected or not Unicode-capable, so the same code serves CI logs.
/// </summary>
public static class ReportRenderer
{
    /// <summary>Renders to a writer: colour and Unicode only when it is the real, unredirected console.</summary>
    public static void Render(ComparisonReport report, TextWriter output) => Render(report, CreateConsole(output));

    public static void Render(ComparisonReport report, IAnsiConsole console)
    {
        ComparisonOptions o = report.Options;
        console.MarkupLine($"[bold]Base:[/] {Describe(report.Base)}");
        console.MarkupLine($"[bold]New:[/]  {Describe(report.New)}");
        string rule = Invariant($"Slower/faster: Mann-Whitney p < {o.Alpha:0.####} and median ratio > {1 + o.Threshold:0.####} / < {1 / (1 + o.Threshold):0.####}");
        string noisy = Invariant($"noisy: CV > {o.NoiseCv:P0} or fewer than {o.MinMeasurements} measurements");
        console.MarkupLine($"[dim]{Markup.Escape($"{rule}; {noisy}.")}[/]");
        console.WriteLine();

        if (report.Machine.Count > 0)
        {
            var machine = NewTable("Machine", "Fact", "Base", "New");
            foreach (MachineFactRow row in report.Machine)
            {
                string style = row.Differs ? (row.MustMatch ? "yellow" : "dim") : "";
                machine.AddRow(Cell(row.Key, style), Cell(row.Base ?? "-", style), Cell(row.New ?? "-", style));
            }
            console.Write(machine);
        }

        RenderChanges(console, $"Regressions ({report.Regressions.Count})", "red", report.Regressions);
        RenderChanges(console, $"Improvements ({report.Improvements.Count})", "green", report.Improvements);

        if (report.AllocationChanges.Count > 0)
        {
            var table = NewTable($"Allocation changes ({report.AllocationChanges.Count})",
                "Benchmark", "Base alloc", "New alloc", "Time verdict");
            foreach (BenchmarkComparison c in report.AllocationChanges)
                table.AddRow(Cell(c.Name), Cell(Bytes(c.Base.BytesAllocatedPerOperation)),
                    Cell(Bytes(c.New.BytesAllocatedPerOperation)), Cell(c.Verdict.ToString()));
            console.Write(table);
        }

        if (report.NoisySame.Count > 0)
        {
            var table = NewTable($"Noisy, judged same ({report.NoisySame.Count}): re-run before trusting these",
                "Benchmark", "Base median", "New median", "Ratio", "p-value", "Noise");
            foreach (BenchmarkComparison c in report.NoisySame)
                table.AddRow(Cell(c.Name), Cell(Time(c.BaseMedian)), Cell(Time(c.NewMedian)), Cell(Ratio(c.Ratio)),
                    Cell(PValue(c.PValue)), Cell(c.Noise!, "yellow"));
            console.Write(table);
        }

        RenderNames(console, $"Only in base ({report.OnlyInBase.Count})", report.OnlyInBase);
        RenderNames(console, $"Only in new ({report.OnlyInNew.Count})", report.OnlyInNew);

        foreach (string warning in report.Warnings)
            console.MarkupLine($"[yellow]Warning:[/] {Markup.Escape(warning)}");
        if (report.Warnings.Count > 0)
            console.WriteLine();

        string colour = report.Regressions.Count > 0 ? "red" : "green";
        console.MarkupLine($"[bold {colour}]{Markup.Escape(report.Summary)}[/]");
    }

    private static void RenderChanges(IAnsiConsole console, string title, string colour,
        IReadOnlyList<BenchmarkComparison> rows)
    {
        if (rows.Count == 0)
        {
            console.MarkupLine($"[bold]{Markup.Escape(title)}[/]");
            console.WriteLine();
            return;
        }
        var table = NewTable(title, "Benchmark", "Base median", "New median", "Ratio", "p-value", "Alloc", "Noise");
        foreach (BenchmarkComparison c in rows)
            table.AddRow(Cell(c.Name), Cell(Time(c.BaseMedian)), Cell(Time(c.NewMedian)),
                Cell(Ratio(c.Ratio), colour), Cell(PValue(c.PValue)), Cell(Allocation(c)),
                Cell(c.Noise ?? "", "yellow"));
        console.Write(table);
    }

    private static void RenderNames(IAnsiConsole console, string title, IReadOnlyList<string> names)
    {
        if (names.Count == 0)
            return;
        var table = NewTable(title, "Benchmark");
        foreach (string name in names)
            table.AddRow(Cell(name));
        console.Write(table);
    }

    private static Table NewTable(string title, params string[] columns)
    {
        var table = new Table { Title = new TableTitle(Markup.Escape(title), new Style(decoration: Decoration.Bold)) };
        table.Border(TableBorder.Rounded);
        foreach (string column in columns)
        {
            var c = new TableColumn(Markup.Escape(column));
            if (column != "Benchmark" && column != "Fact" && column != "Noise")
                c.RightAligned();
            table.AddColumn(c);
        }
        return table;
    }

    private static Markup Cell(string text, string style = "") =>
        style.Length == 0 ? new Markup(Markup.Escape(text)) : new Markup($"[{style}]{Markup.Escape(text)}[/]");

    private static string Describe(ResultSet set) =>
        Markup.Escape($"{set.Source} ({set.Benchmarks.Count} benchmarks from {set.Files.Count} report"
            + (set.Files.Count == 1 ? ")" : "s)"));

    private static string Allocation(BenchmarkComparison c) => c.Allocation switch
    {
        AllocationChange.Same => "same",
        AllocationChange.Changed =>
            $"changed {Bytes(c.Base.BytesAllocatedPerOperation)} -> {Bytes(c.New.BytesAllocatedPerOperation)}",
        _ => "-",
    };

    /// <summary>A duration in nanoseconds, BenchmarkDotNet-style, with an ASCII unit.</summary>
    internal static string Time(double ns)
    {
        if (double.IsNaN(ns))
            return "-";
        (double scaled, string unit) = Math.Abs(ns) switch
        {
            >= 1e9 => (ns / 1e9, "s"),
            >= 1e6 => (ns / 1e6, "ms"),
            >= 1e3 => (ns / 1e3, "us"),
            _ => (ns, "ns"),
        };
        return Invariant($"{scaled:0.000} {unit}");
    }

    internal static string Bytes(long? bytes) => bytes switch
    {
        null => "-",
        >= 1 << 20 => Invariant($"{bytes.Value / (double)(1 << 20):0.00} MB"),
        >= 1 << 10 => Invariant($"{bytes.Value / 1024.0:0.00} KB"),
        _ => Invariant($"{bytes} B"),
    };

    private static string Ratio(double ratio) => double.IsNaN(ratio) ? "-" : Invariant($"{ratio:0.000}");

    private static string PValue(double p) =>
        double.IsNaN(p) ? "-" : p < 0.0001 ? "<0.0001" : Invariant($"{p:0.0000}");

    private static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);

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
