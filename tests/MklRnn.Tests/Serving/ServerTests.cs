using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using MklRnn.CharLm;
using MklRnn.Cli.Verbs;
using MklRnn.Server;

namespace MklRnn.Tests.Serving;

/// <summary>`mklrnn serve`'s API on a real Kestrel (127.0.0.1, port 0): answers against eval / sample / decode, batching, limits, errors.</summary>
public sealed class ServerTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private static readonly string[] Prompts =
    [
        "The ", "A journey", "T", "", "fortune", "Simplicity is", "all who", "The best way", "Never put", "It is a truth",
        "wisdom", "The early bird", "second mouse", "flies", "To err", "human", "a", "b", "c", "d", "e", "f", "g", "h",
        "ring", "tests", "the day", "bold", "gold;", "miles", "cheese.", "computer",
    ];

    [Fact]
    public async Task HealthAndModelsDescribeWhatIsServed()
    {
        await using MklRnnServer server = await fixture.StartAsync();
        using HttpClient http = ServerFixture.Client(server);
        Assert.Equal("ok", (await http.GetFromJsonAsync<JsonElement>("healthz")).GetProperty("status").GetString());
        JsonElement models = (await http.GetFromJsonAsync<JsonElement>("v1/models")).GetProperty("models");
        Assert.Equal(["lm:charlm", "rev:seq2seq"], models.EnumerateArray().Select(m => $"{m.GetProperty("name")}:{m.GetProperty("kind")}"));
        Assert.Equal(16, models[0].GetProperty("hidden_size").GetInt32());
        Assert.True(models[0].GetProperty("parameters").GetInt64() > 1000);
    }

    [Fact]
    public async Task ScoreRequestsArrivingTogetherEachEqualEval()
    {
        await using MklRnnServer server = await fixture.StartAsync();
        using HttpClient http = ServerFixture.Client(server);
        string[] texts = [CharLmFixtures.SmallText[..600], CharLmFixtures.SmallText[..50], "Th", CharLmFixtures.SmallText[200..500]];
        var answers = await Task.WhenAll(texts.Select(t => ServerFixture.PostAsync(http, "v1/models/lm/score", new { text = t })));
        for (int i = 0; i < texts.Length; i++)
        {
            Assert.Equal(200, answers[i].Status);
            double expected = EvalVerb.Run(fixture.CharLm, CharLmFixtures.WriteText(new TempFolder(), "t.txt", texts[i]));
            double perplexity = answers[i].Body.GetProperty("perplexity").GetDouble();
            Assert.InRange(perplexity, expected * (1 - 1e-5), expected * (1 + 1e-5));
            int n = answers[i].Body.GetProperty("characters").GetInt32();
            Assert.Equal(texts[i].Length, n);
            double logProb = answers[i].Body.GetProperty("log_prob").GetDouble();
            Assert.Equal(Math.Log(perplexity) * (n - 1), -logProb, 6);
            Assert.Equal(Math.Log2(perplexity), answers[i].Body.GetProperty("bits_per_char").GetDouble(), 6);
        }
    }

    [Fact]
    public async Task AModelServedAtInt8ScoresAsEvalAtInt8()
    {
        await using MklRnnServer server = await fixture.StartAsync(precision: MklRnn.Precision.Int8);
        using HttpClient http = ServerFixture.Client(server);
        string text = CharLmFixtures.SmallText[..400];
        var (status, body) = await ServerFixture.PostAsync(http, "v1/models/lm/score", new { text });
        Assert.Equal(200, status);
        double served = body.GetProperty("perplexity").GetDouble();
        string path = CharLmFixtures.WriteText(new TempFolder(), "t.txt", text);
        var eval = CliRunner.Run("eval", "--checkpoint", fixture.CharLm, "--text", path, "--precision", "int8", "--json");
        Assert.True(eval.ExitCode == 0, eval.Error);
        double expected = System.Text.Json.JsonDocument.Parse(eval.Output).RootElement.GetProperty("perplexity").GetDouble();
        Assert.InRange(served, expected * (1 - 1e-5), expected * (1 + 1e-5));
        Assert.NotEqual(EvalVerb.Run(fixture.CharLm, path), served); // the int8 engine really ran
    }

    [Fact]
    public async Task GreedyGenerateEqualsSampleAtTemperatureZero()
    {
        await using MklRnnServer server = await fixture.StartAsync();
        using HttpClient http = ServerFixture.Client(server);
        var (status, body) = await ServerFixture.PostAsync(http, "v1/models/lm/generate", new { prompt = "The ", max_tokens = 40, temperature = 0 });
        Assert.Equal(200, status);
        var sample = CliRunner.Run("sample", "--checkpoint", fixture.CharLm, "--prompt", "The ", "--length", "40", "--temperature", "0");
        Assert.True(sample.ExitCode == 0, sample.Error);
        Assert.Equal(sample.Output.TrimEnd('\n'), "The " + body.GetProperty("text").GetString());
        Assert.Equal(40, body.GetProperty("tokens").GetInt32());
        Assert.Equal("length", body.GetProperty("finish_reason").GetString());
    }

    [Fact]
    public async Task ThirtyTwoConcurrentGreedyRequestsEachGiveWhatTheyGiveAlone()
    {
        string[] alone;
        var (model, vocabulary) = CharLmFile.Load(fixture.CharLm);
        using (model)
        {
            var sampler = new Sampler(model, vocabulary);
            alone = Prompts.Select((p, i) => sampler.Generate(p, 30 + i, 0f, 0, 1)[p.Length..]).ToArray();
        }
        await using MklRnnServer server = await fixture.StartAsync(maxBatch: 16); // 32 requests: rows are reused too
        using HttpClient http = ServerFixture.Client(server);
        var answers = await Task.WhenAll(Prompts.Select((p, i) =>
            ServerFixture.PostAsync(http, "v1/models/lm/generate", new { prompt = p, max_tokens = 30 + i, temperature = 0 })));
        for (int i = 0; i < Prompts.Length; i++)
        {
            Assert.Equal(200, answers[i].Status);
            Assert.Equal(alone[i], answers[i].Body.GetProperty("text").GetString());
        }
        string metrics = await http.GetStringAsync("metrics");
        Assert.Contains("mklrnn_batch_size_bucket{model=\"lm\",kind=\"generate\"", metrics);
        Assert.Contains("mklrnn_requests_total{model=\"lm\",endpoint=\"generate\",status=\"200\"} 32", metrics);
    }

    [Fact]
    public async Task StreamingSendsOneEventPerCharacterAndTheSameText()
    {
        await using MklRnnServer server = await fixture.StartAsync();
        using HttpClient http = ServerFixture.Client(server);
        var (_, whole) = await ServerFixture.PostAsync(http, "v1/models/lm/generate", new { prompt = "A", max_tokens = 25, temperature = 0.7, seed = 5 });
        using HttpResponseMessage response = await http.PostAsJsonAsync("v1/models/lm/generate", new { prompt = "A", max_tokens = 25, temperature = 0.7, seed = 5, stream = true });
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        string[] events = (await response.Content.ReadAsStringAsync()).Split("\n\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("data: [DONE]", events[^1]);
        var pieces = events[..^2].Select(e => JsonDocument.Parse(e["data: ".Length..]).RootElement.GetProperty("text").GetString()).ToArray();
        Assert.Equal(25, pieces.Length);
        Assert.Equal(whole.GetProperty("text").GetString(), string.Concat(pieces));
        Assert.Contains("\"finish_reason\":\"length\"", events[^2]);
    }

    [Fact]
    public async Task AStopStringEndsGenerationEarly()
    {
        await using MklRnnServer server = await fixture.StartAsync();
        using HttpClient http = ServerFixture.Client(server);
        var (_, full) = await ServerFixture.PostAsync(http, "v1/models/lm/generate", new { prompt = "The ", max_tokens = 40, temperature = 0 });
        string text = full.GetProperty("text").GetString()!;
        string stop = text.Substring(8, 2);
        var (status, stopped) = await ServerFixture.PostAsync(http, "v1/models/lm/generate", new { prompt = "The ", max_tokens = 40, temperature = 0, stop = new[] { stop } });
        Assert.Equal(200, status);
        Assert.Equal(text[..text.IndexOf(stop, StringComparison.Ordinal)], stopped.GetProperty("text").GetString());
        Assert.Equal("stop", stopped.GetProperty("finish_reason").GetString());
    }

    [Fact]
    public async Task ACancelledRequestFreesItsRowForTheNextRequest()
    {
        await using MklRnnServer server = await fixture.StartAsync(maxBatch: 1, maxTokensLimit: 100_000_000);
        using HttpClient http = ServerFixture.Client(server);
        using (var cancel = new CancellationTokenSource())
        {
            // A stream that would run for a very long time holds the only row; the client goes away after its first event.
            var request = new HttpRequestMessage(HttpMethod.Post, "v1/models/lm/generate")
            {
                Content = JsonContent.Create(new { prompt = "The ", max_tokens = 100_000_000, stream = true }),
            };
            using HttpResponseMessage response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancel.Token);
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cancel.Token));
            Assert.StartsWith("data: ", await reader.ReadLineAsync(cancel.Token));
            cancel.Cancel();
        }
        // Served only if the row was freed (the deadline turns "still waiting" into a 504 instead of a hang).
        var (status, body) = await ServerFixture.PostAsync(http, "v1/models/lm/generate", new { prompt = "T", max_tokens = 5, timeout_ms = 60_000 });
        Assert.Equal(200, status);
        Assert.Equal(5, body.GetProperty("tokens").GetInt32());
    }

    [Fact]
    public async Task ARequestPastItsDeadlineIs504NamingTimeoutMs()
    {
        await using MklRnnServer server = await fixture.StartAsync(maxBatch: 1, maxTokensLimit: 100_000_000);
        using HttpClient http = ServerFixture.Client(server);
        // The only row is held by a stream far longer than the deadline of the request behind it.
        var (status, body) = await ServerFixture.PostAsync(http, "v1/models/lm/generate", new { prompt = "a", max_tokens = 100_000_000, timeout_ms = 300 });
        Assert.Equal(504, status);
        Assert.Equal("timeout_ms", body.GetProperty("field").GetString());
        var (next, answer) = await ServerFixture.PostAsync(http, "v1/models/lm/generate", new { prompt = "a", max_tokens = 4 });
        Assert.Equal(200, next); // its row was freed
        Assert.Equal(4, answer.GetProperty("tokens").GetInt32());
    }

    [Fact]
    public async Task AFullQueueAnswers429WithRetryAfter()
    {
        await using MklRnnServer server = await fixture.StartAsync(maxBatch: 1, maxQueue: 1, maxTokensLimit: 100_000_000);
        using HttpClient http = ServerFixture.Client(server);
        using var cancel = new CancellationTokenSource();
        var running = new HttpRequestMessage(HttpMethod.Post, "v1/models/lm/generate") { Content = JsonContent.Create(new { prompt = "a", max_tokens = 100_000_000, stream = true, timeout_ms = 600_000 }) };
        using HttpResponseMessage first = await http.SendAsync(running, HttpCompletionOption.ResponseHeadersRead, cancel.Token);
        using var reader = new StreamReader(await first.Content.ReadAsStreamAsync(cancel.Token));
        await reader.ReadLineAsync(cancel.Token); // the first request has the row; the next one waits in the queue
        Task<HttpResponseMessage> queued = http.PostAsJsonAsync("v1/models/lm/generate", new { prompt = "b", max_tokens = 100_000_000, timeout_ms = 600_000 }, cancel.Token);
        for (int polls = 0; !(await http.GetStringAsync("metrics")).Contains("mklrnn_queue_depth{model=\"lm\"} 1\n"); polls++)
        {
            Assert.True(polls < 1200 && !queued.IsCompleted, "the second request never waited in the queue");
            await Task.Delay(25);
        }
        using HttpResponseMessage refused = await http.PostAsJsonAsync("v1/models/lm/generate", new { prompt = "c", max_tokens = 3 });
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(1), refused.Headers.RetryAfter?.Delta);
        Assert.Contains("queue", (await ServerFixture.ReadJsonAsync(refused)).GetProperty("error").GetString());
        cancel.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => queued);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("healthz")).StatusCode);
    }

    public static TheoryData<string, string, int, string> BadRequests => new()
    {
        { "lm/generate", "{\"prompt\": \"The\", \"max_tokens\": ", 400, "not valid JSON" },
        { "lm/generate", "[1, 2]", 400, "JSON object" },
        { "nope/generate", "{\"max_tokens\": 3}", 404, "no model named 'nope'" },
        { "rev/generate", "{\"max_tokens\": 3}", 404, "seq2seq" },
        { "lm/translate", "{\"source\": \"12\"}", 404, "charlm" },
        { "lm/generate", "{\"prompt\": \"The\"}", 400, "max_tokens" },
        { "lm/generate", "{\"max_tokens\": -1}", 400, "max_tokens" },
        { "lm/generate", "{\"max_tokens\": 1000001}", 400, "max_tokens" },
        { "lm/generate", "{\"max_tokens\": \"five\"}", 400, "max_tokens" },
        { "lm/generate", "{\"max_tokens\": 3, \"temperature\": -0.5}", 400, "temperature" },
        { "lm/generate", "{\"max_tokens\": 3, \"top_p\": 0}", 400, "top_p" },
        { "lm/generate", "{\"max_tokens\": 3, \"top_p\": 1.5}", 400, "top_p" },
        { "lm/generate", "{\"max_tokens\": 3, \"top_k\": -2}", 400, "top_k" },
        { "lm/generate", "{\"max_tokens\": 3, \"prompt\": \"The \\u00e9t\\u00e9 ~\"}", 400, "'é' (U+00E9), '~' (U+007E)" },
        { "lm/generate", "{\"max_tokens\": 3, \"tempreature\": 1}", 400, "tempreature" },
        { "lm/score", "{\"text\": \"T\"}", 400, "text" },
        { "lm/score", "{}", 400, "text" },
        { "rev/translate", "{\"source\": \"12a\"}", 400, "source" },
        { "rev/translate", "{\"source\": \"12\", \"beam\": 2, \"nbest\": 3}", 400, "nbest" },
    };

    [Theory]
    [MemberData(nameof(BadRequests))]
    public async Task BadInputIsAJsonErrorNamingTheFieldAndTheServerGoesOn(string path, string json, int status, string mention)
    {
        await using MklRnnServer server = await fixture.StartAsync(maxTokensLimit: 1_000_000);
        using HttpClient http = ServerFixture.Client(server);
        using HttpResponseMessage response = await http.PostAsync($"v1/models/{path}", new StringContent(json, Encoding.UTF8, "application/json"));
        Assert.Equal(status, (int)response.StatusCode);
        string error = (await ServerFixture.ReadJsonAsync(response)).GetProperty("error").GetString()!;
        Assert.Contains(mention, error);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("healthz")).StatusCode);
    }

    [Fact]
    public async Task ABodyOverTheLimitIs413()
    {
        await using MklRnnServer server = await fixture.StartAsync(maxBodyBytes: 4096);
        using HttpClient http = ServerFixture.Client(server);
        using HttpResponseMessage response = await http.PostAsJsonAsync("v1/models/lm/score", new { text = new string('e', 10_000) });
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Contains("4096 bytes", (await ServerFixture.ReadJsonAsync(response)).GetProperty("error").GetString());
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("healthz")).StatusCode);
    }

    [Fact]
    public async Task TranslateRequestsArrivingTogetherEachEqualDecode()
    {
        string[] sources = ["12345", "9", "31415", "2718"];
        await using MklRnnServer server = await fixture.StartAsync();
        using HttpClient http = ServerFixture.Client(server);
        var answers = await Task.WhenAll(sources.Select(s => ServerFixture.PostAsync(http, "v1/models/rev/translate", new { source = s, beam = 3, nbest = 2 })));
        for (int i = 0; i < sources.Length; i++)
        {
            var decode = CliRunner.Run("seq2seq", "decode", "--model", fixture.Seq2Seq, "--beam", "3", "--nbest", "2", sources[i]);
            Assert.True(decode.ExitCode == 0, decode.Error);
            string[][] lines = decode.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split('\t')).ToArray();
            JsonElement[] hypotheses = answers[i].Body.GetProperty("hypotheses").EnumerateArray().ToArray();
            Assert.Equal(lines.Length, hypotheses.Length);
            for (int h = 0; h < lines.Length; h++)
            {
                Assert.Equal(lines[h][1].TrimEnd('$'), hypotheses[h].GetProperty("text").GetString());
                // decode prints log P with 4 decimals: equal within that rounding (and float noise).
                double printed = double.Parse(lines[h][2]["logP ".Length..], System.Globalization.CultureInfo.InvariantCulture);
                Assert.InRange(hypotheses[h].GetProperty("log_prob").GetDouble(), printed - 1e-4, printed + 1e-4);
            }
        }
    }
}
