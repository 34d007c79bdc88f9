using System.Diagnostics;
using System.Net.Http.Json;
using System.Runtime.InteropServices;
using System.Text.Json;
using MklRnn.Cli;

namespace MklRnn.Tests.Serving;

/// <summary>The real `mklrnn serve` process: SIGTERM while requests run drains them, then the process exits 0.</summary>
public sealed partial class ServeProcessTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private const int SigTerm = 15;

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);

    [Fact]
    public async Task SigtermDuringLoadFinishesTheInFlightRequestsAndExitsZero()
    {
        string cli = typeof(CommandLineApp).Assembly.Location;
        int port = FreeLoopbackPort();
        using Process server = ChildProcess.Start("dotnet", [cli, "serve", "--model", $"lm={fixture.CharLm}", "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--max-tokens-limit", "1000000", "--drain-seconds", "100"]);
        _ = server.StandardError.ReadToEndAsync(); // drained, so a chatty server never blocks on a full pipe
        Task<string> output = server.StandardOutput.ReadToEndAsync();
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/"), Timeout = TimeSpan.FromMinutes(3) };
            for (int polls = 0; !await IsUp(http); polls++)
            {
                Assert.True(polls < 600 && !server.HasExited, "the server did not start");
                await Task.Delay(100);
            }

            const int Requests = 6, Tokens = 100_000;
            Task<HttpResponseMessage>[] running = Enumerable.Range(0, Requests).Select(i =>
                http.PostAsJsonAsync("v1/models/lm/generate", new { prompt = "The ", max_tokens = Tokens, seed = i, timeout_ms = 600_000 })).ToArray();
            // Wait until all of them hold a row (the scheduler's gauge), then ask the process to stop.
            for (int polls = 0; !(await http.GetStringAsync("metrics")).Contains($"mklrnn_active_streams{{model=\"lm\"}} {Requests}\n"); polls++)
            {
                Assert.True(polls < 600 && running.All(t => !t.IsCompleted), "the requests never ran together");
                await Task.Delay(50);
            }
            Assert.Equal(0, Kill(server.Id, SigTerm));

            foreach (Task<HttpResponseMessage> t in running)
            {
                using HttpResponseMessage response = await t;
                Assert.Equal(200, (int)response.StatusCode);
                JsonElement body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
                Assert.Equal(Tokens, body.GetProperty("tokens").GetInt32());
            }
            Assert.True(server.WaitForExit(TimeSpan.FromSeconds(60)), "the server did not exit after draining");
            Assert.Equal(0, server.ExitCode);
            Assert.Contains("stopped: in-flight requests drained", await output);
        }
        finally
        {
            if (!server.HasExited) server.Kill();
        }
    }

    private static async Task<bool> IsUp(HttpClient http)
    {
        try
        {
            return (await http.GetAsync("healthz")).IsSuccessStatusCode;
        }
        catch (HttpRequestException)
        {
            return false;
        }
    }

    /// <summary>A loopback port free a moment ago (the OS picks it; the server binds it right after).</summary>
    private static int FreeLoopbackPort()
    {
        var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        int port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
