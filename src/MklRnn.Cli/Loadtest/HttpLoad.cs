using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;

namespace MklRnn.Cli.Loadtest;

/// <summary>
/// The HTTP load: C clients, each sending its next request when its last one is answered, until R requests were
/// sent or the time bound passed. Request i is seeded with i, so runs repeat. Loopback addresses only.
/// </summary>
internal static class HttpLoad
{
    public static async Task<LoadResult> RunAsync(Uri url, string model, string endpoint, int concurrency, int requests,
        int maxTokens, string prompt, float temperature, TimeSpan bound)
    {
        using var http = new HttpClient { BaseAddress = url, Timeout = bound };
        http.DefaultRequestHeaders.ConnectionClose = false;
        using var stop = new CancellationTokenSource(bound);
        var latencies = new List<double>();
        long tokens = 0;
        int errors = 0, next = -1;
        // The server's deadline follows the run's bound: a request waiting its turn is not an error before the run is.
        int timeoutMs = (int)Math.Min(bound.TotalMilliseconds, 3_600_000);
        var clock = Stopwatch.StartNew();

        async Task Client()
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < requests && !stop.IsCancellationRequested)
            {
                object body = endpoint == "score"
                    ? new Dictionary<string, object> { ["text"] = prompt, ["timeout_ms"] = timeoutMs }
                    : new Dictionary<string, object> { ["prompt"] = prompt, ["max_tokens"] = maxTokens, ["temperature"] = temperature, ["seed"] = i, ["timeout_ms"] = timeoutMs };
                long start = Stopwatch.GetTimestamp();
                try
                {
                    using HttpResponseMessage response = await http.PostAsJsonAsync($"v1/models/{model}/{endpoint}", body, stop.Token);
                    if (!response.IsSuccessStatusCode)
                    {
                        Interlocked.Increment(ref errors);
                        continue;
                    }
                    using JsonDocument answer = JsonDocument.Parse(await response.Content.ReadAsStringAsync(stop.Token));
                    int produced = endpoint == "score" ? 0 : answer.RootElement.GetProperty("tokens").GetInt32();
                    Interlocked.Add(ref tokens, produced);
                    lock (latencies) latencies.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
                }
                catch (Exception e) when (e is HttpRequestException or OperationCanceledException or JsonException or KeyNotFoundException)
                {
                    Interlocked.Increment(ref errors);
                }
            }
        }

        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(_ => Task.Run(Client)));
        return new LoadResult(concurrency, latencies, tokens, errors, clock.Elapsed.TotalSeconds);
    }
}
