using System.Globalization;
using System.Text.Json;

namespace MklRnn.Cli.Loadtest;

/// <summary>
/// What a load test measured: request latencies (ms), characters generated, errors, wall time, and what the engine
/// did meanwhile (null when the server's /metrics could not be read).
/// </summary>
internal sealed class LoadResult(int concurrency, IReadOnlyList<double> latenciesMs, long tokens, int errors, double seconds, EngineSteps? engine)
{
    public int Requests => latenciesMs.Count;
    public double RequestsPerSecond => Requests / seconds;
    public double TokensPerSecond => tokens / seconds;

    /// <summary>Nearest-rank percentile of the successful requests' latencies (0 when none succeeded).</summary>
    public double Percentile(double p)
    {
        if (latenciesMs.Count == 0) return 0;
        double[] sorted = latenciesMs.Order().ToArray();
        int rank = (int)Math.Ceiling(p / 100 * sorted.Length);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)];
    }

    public string ToJson()
    {
        var line = new Dictionary<string, object>
        {
            ["requests_per_s"] = Math.Round(RequestsPerSecond, 3),
            ["tokens_per_s"] = Math.Round(TokensPerSecond, 1),
            ["p50_ms"] = Math.Round(Percentile(50), 2),
            ["p90_ms"] = Math.Round(Percentile(90), 2),
            ["p99_ms"] = Math.Round(Percentile(99), 2),
            ["errors"] = errors,
            ["requests"] = Requests,
            ["tokens"] = tokens,
            ["seconds"] = Math.Round(seconds, 3),
            ["concurrency"] = concurrency,
        };
        if (engine is EngineSteps e)
        {
            line["steps"] = e.Steps;
            line["mean_rows"] = Math.Round(e.MeanRows, 2);
            line["step_ms"] = Math.Round(e.MeanStepMs, 4);
            line["engine_share"] = Math.Round(e.Seconds / seconds, 3); // of the wall time, inside engine steps
        }
        return JsonSerializer.Serialize(line);
    }

    public string ToText() => string.Create(CultureInfo.InvariantCulture,
        $"{Requests} requests ({errors} errors) in {seconds:F2} s at concurrency {concurrency}\n" +
        $"throughput  {RequestsPerSecond:F2} requests/s, {TokensPerSecond:F0} tokens/s\n" +
        $"latency     p50 {Percentile(50):F1} ms, p90 {Percentile(90):F1} ms, p99 {Percentile(99):F1} ms") +
        (engine is EngineSteps e ? string.Create(CultureInfo.InvariantCulture,
            $"\nengine      {e.Steps} steps, {e.MeanRows:F1} rows and {e.MeanStepMs:F3} ms per step, inside steps {e.Seconds / seconds:P0} of the run") : "");
}
