using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text.Json;

namespace MklRnn.Cli.Loadtest;

/// <summary>
/// The HTTP load: C clients, each sending its next request when its last one is answered, until R requests were
/// sent or the time bound passed. Request i is seeded with i, so runs repeat. Loopback addresses only.
/// The generator shares the machine with the server it measures, so a request costs it little: one pooled
/// connection per client, no proxy lookup, the body written straight to UTF-8, and only the answer's "tokens" read.
/// Before the clock starts, warm-up requests run the same workload and the generator waits until neither it nor the
/// server is still JIT-compiling (<see cref="JitQuiet"/>).
/// </summary>
internal static class HttpLoad
{
    private static readonly MediaTypeHeaderValue Json = new("application/json");

    public static async Task<LoadResult> RunAsync(Uri url, string model, string endpoint, int concurrency, int requests,
        int warmUp, int maxTokens, string prompt, float temperature, TimeSpan bound)
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
        // The server's deadline follows the run's bound: a request waiting its turn is not an error before the run is.
        int timeoutMs = (int)Math.Min(bound.TotalMilliseconds, 3_600_000);
        string path = $"v1/models/{model}/{endpoint}";
        if (warmUp > 0)
        {
            await RunClients(concurrency, warmUp, firstSeed: -warmUp, (_, _) => { }); // seeds -W..-1: not the measured ones
            await JitQuiet.WaitAsync(() => ServerJitCount(http));
        }
        EngineSteps? before = await ReadEngineSteps(http, model);
        var clock = Stopwatch.StartNew();
        int errors = await RunClients(concurrency, requests, firstSeed: 0, (produced, ms) =>
        {
            Interlocked.Add(ref tokens, produced);
            lock (latencies) latencies.Add(ms);
        });
        double seconds = clock.Elapsed.TotalSeconds;
        EngineSteps? after = await ReadEngineSteps(http, model);
        return new LoadResult(concurrency, latencies, tokens, errors, seconds, after - before);

        // C clients send `count` requests, seeded firstSeed + i; each answer's tokens and latency (ms) go to `answered`.
        // Returns the requests that failed (an error status, no answer, or no "tokens" in it).
        async Task<int> RunClients(int clients, int count, int firstSeed, Action<int, double> answered)
        {
            int next = -1, failed = 0;
            async Task Client()
            {
                int i;
                while ((i = Interlocked.Increment(ref next)) < count && !stop.IsCancellationRequested)
                {
                    using var body = new ByteArrayContent(Body(endpoint, prompt, maxTokens, temperature, seed: firstSeed + i, timeoutMs));
                    body.Headers.ContentType = Json;
                    long start = Stopwatch.GetTimestamp();
                    try
                    {
                        using HttpResponseMessage response = await http.PostAsync(path, body, stop.Token);
                        if (!response.IsSuccessStatusCode)
                        {
                            Interlocked.Increment(ref failed);
                            continue;
                        }
                        byte[] answer = await response.Content.ReadAsByteArrayAsync(stop.Token);
                        answered(endpoint == "score" ? 0 : TokensOf(answer), Stopwatch.GetElapsedTime(start).TotalMilliseconds);
                    }
                    catch (Exception e) when (e is HttpRequestException or OperationCanceledException or JsonException or KeyNotFoundException)
                    {
                        Interlocked.Increment(ref failed);
                    }
                }
            }
            await Task.WhenAll(Enumerable.Range(0, clients).Select(_ => Task.Run(Client)));
            return failed;
        }
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

    private static async Task<double> ServerJitCount(HttpClient http)
    {
        try
        {
            return EngineSteps.Value(await http.GetStringAsync("metrics"), "mklrnn_jit_compiled_methods");
        }
        catch (HttpRequestException)
        {
            return 0;
        }
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
