using System.Globalization;

namespace MklRnn.Cli.Loadtest;

/// <summary>
/// What the engine did during a load test: batched generation steps, rows stepped (characters generated) and the
/// seconds spent inside the steps. The offline loop counts them itself; for a server they are the difference of its
/// /metrics (mklrnn_batch_size and mklrnn_step_seconds) before and after the run. Comparing the two runs splits a
/// server's loss into fewer rows per step, slower steps (competition for the cores) and time between steps.
/// </summary>
internal readonly record struct EngineSteps(long Steps, double Rows, double Seconds)
{
    public double MeanRows => Steps > 0 ? Rows / Steps : 0;
    public double MeanStepMs => Steps > 0 ? Seconds / Steps * 1e3 : 0;

    public static EngineSteps operator -(EngineSteps after, EngineSteps before) =>
        new(after.Steps - before.Steps, after.Rows - before.Rows, after.Seconds - before.Seconds);

    /// <summary>The model's generation series in a Prometheus text page (a series not there yet, before the first step, counts 0).</summary>
    public static EngineSteps FromMetrics(string page, string model)
    {
        string label = model.Replace("\\", "\\\\").Replace("\"", "\\\"");
        return new EngineSteps(
            (long)Value(page, $"mklrnn_batch_size_count{{model=\"{label}\",kind=\"generate\"}}"),
            Value(page, $"mklrnn_batch_size_sum{{model=\"{label}\",kind=\"generate\"}}"),
            Value(page, $"mklrnn_step_seconds_sum{{model=\"{label}\"}}"));
    }

    /// <summary>The value of one series (name and labels exactly as the page writes them) in a Prometheus text page; 0 when absent.</summary>
    public static double Value(string page, string series)
    {
        foreach (string line in page.Split('\n'))
            if (line.StartsWith(series + " ", StringComparison.Ordinal)
                && double.TryParse(line.AsSpan(series.Length + 1), NumberStyles.Float, CultureInfo.InvariantCulture, out double v))
                return v;
        return 0;
    }
}
