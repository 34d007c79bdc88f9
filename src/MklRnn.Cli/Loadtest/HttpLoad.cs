using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text.Json;

namespace MklRnn.Cli.Loadtest;

/// <summary>
/// The HTTP load: C clients, each sending its next request when its last one is answered, until R requests were
/// sent or the time bound passed. Request i is seeded with i, so runs repeat. Loopback addresses only.
/// The generator shares the machine with the server it measures, so a request costs it little: one pooled
/// connection per client, no proxy lookup, the body written straight to UTF-8, and only the answer's "tokens" read.
/// </summary>
internal static class HttpLoad
{
    private static readonly MediaTypeHeaderValue Json = new("application/json");

    public static async Task<LoadResult> RunAsync(Uri url, string model, string endpoint, int concurrency, int requests,
        int maxTokens, string prompt, float temperature, TimeSpan bound)
    {
        using var handler = new SocketsHttpHandler
        {
            UseProxy = false,
            MaxConnectionsPerServer = concurrency,
            PooledConnectionIdleTimeout = bound,
            AutomaticDecompression = System.Net.DecompressionMethods.None,
        };
        using var http = new HttpClient(handler) { BaseAddress = url, Timeout = bound };
        using var stop = new CancellationTokenSource(bound);
        var latencies = new List<double>();
        long tokens = 0;
        int errors = 0, next = -1;
        // The server's deadline follows the run's bound: a request waiting its turn is not an error before the run is.
        int timeoutMs = (int)Math.Min(bound.TotalMilliseconds, 3_600_000);
        string path = $"v1/models/{model}/{endpoint}";
        EngineSteps? before = await ReadEngineSteps(http, model);
        var clock = Stopwatch.StartNew();

        async Task Client()
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < requests && !stop.IsCancellationRequested)
            {
                var body = new ByteArrayContent(Body(endpoint, prompt, maxTokens, temperature, seed: i, timeoutMs));
                body.Headers.ContentType = Json;
                long start = Stopwatch.GetTimestamp();
                try
                {
                    using HttpResponseMessage response = await http.PostAsync(path, body, stop.Token);
                    if (!response.IsSuccessStatusCode)
                    {
                        Interlocked.Increment(ref errors);
                        continue;
                    }
                    byte[] answer = await response.Content.ReadAsByteArrayAsync(stop.Token);
                    Interlocked.Add(ref tokens, endpoint == "score" ? 0 : TokensOf(answer));
                    lock (latencies) latencies.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
                }
                catch (Exception e) when (e is HttpRequestException or OperationCanceledException or JsonException or KeyNotFoundException)
                {
                    Interlocked.Increment(ref errors);
                }
            }
        }

        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(_ => Task.Run(Client)));
        double seconds = clock.Elapsed.TotalSeconds;
        EngineSteps? after = await ReadEngineSteps(http, model);
        return new LoadResult(concurrency, latencies, tokens, errors, seconds, after - before);
    }

    private static byte[] Body(string endpoint, string prompt, int maxTokens, float temperature, int seed, int timeoutMs)
    {
        using var buffer = new MemoryStream(128);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            if (endpoint == "score")
            {
                json.WriteString("text", prompt);
            }
            else
            {
                json.WriteString("prompt", prompt);
                json.WriteNumber("max_tokens", maxTokens);
                json.WriteNumber("temperature", temperature);
                json.WriteNumber("seed", seed);
            }
            json.WriteNumber("timeout_ms", timeoutMs);
            json.WriteEndObject();
        }
        return buffer.ToArray();
    }

    /// <summary>The "tokens" of a generate answer, without building a document.</summary>
    private static int TokensOf(byte[] answer)
    {
        var reader = new Utf8JsonReader(answer);
        while (reader.Read())
            if (reader.TokenType == JsonTokenType.PropertyName && reader.CurrentDepth == 1 && reader.ValueTextEquals("tokens"u8))
            {
                reader.Read();
                return reader.GetInt32();
            }
        throw new KeyNotFoundException("the answer has no \"tokens\"");
    }

    /// <summary>The server's engine counters for the model, or null when its /metrics does not answer.</summary>
    private static async Task<EngineSteps?> ReadEngineSteps(HttpClient http, string model)
    {
        try
        {
            return EngineSteps.FromMetrics(await http.GetStringAsync("metrics"), model);
        }
        catch (HttpRequestException)
        {
            return null;
        }
    }
}
