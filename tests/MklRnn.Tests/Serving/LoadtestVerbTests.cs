using System.Text.Json;
using MklRnn.Server;

namespace MklRnn.Tests.Serving;

/// <summary>`mklrnn loadtest` over HTTP and --offline: one JSON line with the documented keys; loopback only.</summary>
public sealed class LoadtestVerbTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private static readonly string[] Keys = ["requests_per_s", "tokens_per_s", "p50_ms", "p99_ms", "errors"];

    [Fact]
    public void OfflineRunsTheWorkloadThroughTheBatchedLoop()
    {
        var (code, output, error) = CliRunner.Run("loadtest", "--offline", "--checkpoint", fixture.CharLm, "--concurrency", "4", "--requests", "10", "--warmup", "5", "--max-tokens", "12", "--json");
        Assert.True(code == 0, error);
        JsonElement line = JsonDocument.Parse(output).RootElement;
        foreach (string key in Keys) Assert.True(line.TryGetProperty(key, out _), key);
        Assert.Equal(10, line.GetProperty("requests").GetInt32());
        Assert.Equal(120, line.GetProperty("tokens").GetInt64());
        Assert.Equal(0, line.GetProperty("errors").GetInt32());
        // 4 streams start together and end together after 12 steps: rounds of 4, 4 and 2 streams (the 5 warm-up
        // streams ran before, off the count).
        Assert.Equal(36, line.GetProperty("steps").GetInt64());
        Assert.Equal(3.33, line.GetProperty("mean_rows").GetDouble());
        Assert.InRange(line.GetProperty("engine_share").GetDouble(), 0.0, 1.0);
    }

    [Fact]
    public async Task HttpRunsAgainstAServerAndCountsTokensAndErrors()
    {
        await using MklRnnServer server = await fixture.StartAsync();
        string url = $"http://127.0.0.1:{server.Port}";
        var (code, output, error) = await Task.Run(() => CliRunner.Run("loadtest", "--url", url, "--model", "lm", "--concurrency", "3", "--requests", "7",
            "--warmup", "2", "--max-tokens", "9", "--json"));
        Assert.True(code == 0, error);
        JsonElement line = JsonDocument.Parse(output).RootElement;
        foreach (string key in Keys) Assert.True(line.TryGetProperty(key, out _), key);
        Assert.Equal(63, line.GetProperty("tokens").GetInt64());
        Assert.Equal(0, line.GetProperty("errors").GetInt32());
        // The server's /metrics over the run: every character came from a batched step of at most 3 rows, and some
        // client sent 3 of the 7 requests one after the other (at least 3 x 9 steps).
        long steps = line.GetProperty("steps").GetInt64();
        double meanRows = line.GetProperty("mean_rows").GetDouble();
        Assert.InRange(steps, 27, 63);
        Assert.InRange(meanRows, 1.0, 3.0);
        Assert.Equal(63.0, steps * meanRows, 0.01 * steps);
        // The 2 warm-up requests reached the server but not the measurement.
        string metrics = await new HttpClient().GetStringAsync($"{url}/metrics");
        Assert.Contains("mklrnn_requests_total{model=\"lm\",endpoint=\"generate\",status=\"200\"} 9", metrics);
        Assert.Contains("mklrnn_jit_compiled_methods ", metrics);

        // An unknown model: every request is an error, counted, not a crash.
        var bad = await Task.Run(() => CliRunner.Run("loadtest", "--url", url, "--model", "nope", "--concurrency", "2", "--requests", "3", "--warmup", "0", "--max-tokens", "5", "--json"));
        Assert.Equal(0, bad.ExitCode);
        Assert.Equal(3, JsonDocument.Parse(bad.Output).RootElement.GetProperty("errors").GetInt32());
    }

    [Fact]
    public void EngineStepsAreReadFromTheModelsSeriesOfAMetricsPage()
    {
        const string Page = """
            mklrnn_batch_size_sum{model="other",kind="generate"} 999
            mklrnn_batch_size_sum{model="lm",kind="score"} 7
            mklrnn_batch_size_sum{model="lm",kind="generate"} 640
            mklrnn_batch_size_count{model="lm",kind="generate"} 10
            mklrnn_step_seconds_sum{model="lm"} 0.025
            mklrnn_step_seconds_count{model="lm"} 10
            """;
        var steps = MklRnn.Cli.Loadtest.EngineSteps.FromMetrics(Page, "lm");
        Assert.Equal(10, steps.Steps);
        Assert.Equal(64.0, steps.MeanRows);
        Assert.Equal(2.5, steps.MeanStepMs, 1e-9);
        // A model that has not stepped yet has no series: zeros, so the first run's difference is all of it.
        Assert.Equal(default, MklRnn.Cli.Loadtest.EngineSteps.FromMetrics(Page, "new"));
    }

    [Theory]
    [InlineData("--url", "http://10.1.2.3:8080", "loopback")]
    [InlineData("--concurrency", "0", "--concurrency")]
    [InlineData("--endpoint", "translate", "--endpoint")]
    [InlineData("--warmup", "-1", "--warmup")]
    public void BadOptionsAreOneLineErrors(string option, string value, string mention)
    {
        string[] args = option == "--url"
            ? ["loadtest", "--url", value, "--model", "lm"]
            : ["loadtest", "--url", "http://127.0.0.1:9", "--model", "lm", option, value];
        var (code, _, error) = CliRunner.Run(args);
        Assert.Equal(2, code);
        Assert.Contains(mention, error);
    }
}
