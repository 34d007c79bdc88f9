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
        var (code, output, error) = CliRunner.Run("loadtest", "--offline", "--checkpoint", fixture.CharLm, "--concurrency", "4", "--requests", "10", "--max-tokens", "12", "--json");
        Assert.True(code == 0, error);
        JsonElement line = JsonDocument.Parse(output).RootElement;
        foreach (string key in Keys) Assert.True(line.TryGetProperty(key, out _), key);
        Assert.Equal(10, line.GetProperty("requests").GetInt32());
        Assert.Equal(120, line.GetProperty("tokens").GetInt64());
        Assert.Equal(0, line.GetProperty("errors").GetInt32());
    }

    [Fact]
    public async Task HttpRunsAgainstAServerAndCountsTokensAndErrors()
    {
        await using MklRnnServer server = await fixture.StartAsync();
        string url = $"http://127.0.0.1:{server.Port}";
        var (code, output, error) = await Task.Run(() => CliRunner.Run("loadtest", "--url", url, "--model", "lm", "--concurrency", "3", "--requests", "7", "--max-tokens", "9", "--json"));
        Assert.True(code == 0, error);
        JsonElement line = JsonDocument.Parse(output).RootElement;
        foreach (string key in Keys) Assert.True(line.TryGetProperty(key, out _), key);
        Assert.Equal(63, line.GetProperty("tokens").GetInt64());
        Assert.Equal(0, line.GetProperty("errors").GetInt32());

        // An unknown model: every request is an error, counted, not a crash.
        var bad = await Task.Run(() => CliRunner.Run("loadtest", "--url", url, "--model", "nope", "--concurrency", "2", "--requests", "3", "--max-tokens", "5", "--json"));
        Assert.Equal(0, bad.ExitCode);
        Assert.Equal(3, JsonDocument.Parse(bad.Output).RootElement.GetProperty("errors").GetInt32());
    }

    [Theory]
    [InlineData("--url", "http://10.1.2.3:8080", "loopback")]
    [InlineData("--concurrency", "0", "--concurrency")]
    [InlineData("--endpoint", "translate", "--endpoint")]
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
