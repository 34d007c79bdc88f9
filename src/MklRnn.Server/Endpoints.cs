using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using MklRnn.CharLm;
using MklRnn.Seq2Seq;
using MklRnn.Training;

namespace MklRnn.Server;

/// <summary>The HTTP API: health, model list, and per-model score / generate / translate (JSON in, JSON out).</summary>
internal sealed class Endpoints(IReadOnlyDictionary<string, ServedModel> models, ServerOptions options)
{
    public const int DefaultTimeoutMs = 30_000;
    private static readonly string[] ScoreFields = ["text", "timeout_ms"];
    private static readonly string[] GenerateFields = ["prompt", "max_tokens", "temperature", "top_k", "top_p", "seed", "stop", "stream", "timeout_ms"];
    private static readonly string[] TranslateFields = ["source", "beam", "nbest", "max_length", "timeout_ms"];

    public void Map(WebApplication app)
    {
        app.MapGet("/healthz", () => Results.Json(new Dictionary<string, string> { ["status"] = "ok" }));
        app.MapGet("/v1/models", () => Results.Json(new Dictionary<string, object> { ["models"] = models.Values.Select(m => m.Describe()).ToArray() }));
        app.MapPost("/v1/models/{name}/score", Score);
        app.MapPost("/v1/models/{name}/generate", Generate);
        app.MapPost("/v1/models/{name}/translate", Translate);
    }

    private async Task<IResult> Score(string name, HttpContext context)
    {
        ServedCharLm model = Find<ServedCharLm>(name, "score");
        RequestBody body = await RequestBody.ReadAsync(context.Request, options.MaxBodyBytes, ScoreFields);
        string text = body.RequiredString("text");
        int[] ids = Encode(model.Vocabulary, text, "text");
        if (ids.Length < 2) throw ApiException.BadField("text", $"needs at least 2 characters for a score, got {ids.Length}");
        using var deadline = Deadline(context, body);
        var work = new ScoreWork(ids, deadline.Token);
        Enqueue(model.Scheduler.TryEnqueue(work), model);
        var result = await Outcome(work.Result.Task, context);
        double mean = result.TokenLossSum / result.TokenCount;
        return Results.Json(new Dictionary<string, object>
        {
            ["perplexity"] = Perplexity.FromMeanLoss(mean),
            ["log_prob"] = -result.TokenLossSum,
            ["bits_per_char"] = Perplexity.BitsFromMeanLoss(mean),
            ["characters"] = ids.Length,
        });
    }

    private async Task<IResult> Generate(string name, HttpContext context)
    {
        ServedCharLm model = Find<ServedCharLm>(name, "generate");
        RequestBody body = await RequestBody.ReadAsync(context.Request, options.MaxBodyBytes, GenerateFields);
        string prompt = body.OptionalString("prompt") ?? "";
        int maxTokens = body.RequiredInt("max_tokens", 0, options.MaxTokensLimit);
        double temperature = body.Number("temperature", 1.0);
        if (!(temperature >= 0) || !double.IsFinite(temperature)) throw ApiException.BadField("temperature", $"must be a finite number >= 0, got {temperature}");
        int topK = body.Int("top_k", 0, 0, int.MaxValue);
        double topP = body.Number("top_p", 1.0);
        if (!(topP > 0 && topP <= 1)) throw ApiException.BadField("top_p", $"must be in (0, 1], got {topP}");
        int seed = body.Int("seed", 0, int.MinValue, int.MaxValue);
        string[] stop = body.Strings("stop");
        bool stream = body.Bool("stream", false);
        int[] ids = prompt.Length == 0
            ? [model.Vocabulary.TryGetId(new Rune('\n'), out int newline) ? newline : 0] // as `sample` starts an empty prompt
            : Encode(model.Vocabulary, prompt, "prompt");

        using var deadline = Deadline(context, body);
        Channel<string>? pieces = stream ? Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleReader = true }) : null;
        var settings = new SamplingSettings((float)temperature, topK, (float)topP, seed);
        var generation = new GenerationStream(ids, maxTokens, settings, stop, pieces == null ? null : p => pieces.Writer.TryWrite(p), deadline.Token);
        Enqueue(model.Scheduler.TryEnqueue(new GenerateWork(generation)), model);
        if (pieces == null)
        {
            GenerationResult result = await Outcome(generation.Completion, context);
            if (result.Reason == FinishReason.Cancelled) throw TimedOut(context);
            return Results.Json(Final(result));
        }

        _ = generation.Completion.ContinueWith(_ => pieces.Writer.TryComplete(), TaskScheduler.Default);
        context.Response.ContentType = "text/event-stream";
        context.Response.Headers.CacheControl = "no-cache";
        await foreach (string piece in pieces.Reader.ReadAllAsync(context.RequestAborted))
            await Event(context, new Dictionary<string, object> { ["text"] = piece });
        GenerationResult done = await Outcome(generation.Completion, context);
        await Event(context, done.Reason == FinishReason.Cancelled
            ? new Dictionary<string, object> { ["error"] = $"the deadline (timeout_ms) passed after {done.Tokens} tokens", ["field"] = "timeout_ms" }
            : Final(done));
        await context.Response.WriteAsync("data: [DONE]\n\n", context.RequestAborted);
        return Results.Empty;
    }

    private async Task<IResult> Translate(string name, HttpContext context)
    {
        ServedSeq2Seq model = Find<ServedSeq2Seq>(name, "translate");
        RequestBody body = await RequestBody.ReadAsync(context.Request, options.MaxBodyBytes, TranslateFields);
        string source = body.RequiredString("source");
        int sourceVocabulary = model.Engine.Config.SourceVocabularySize;
        if (source.Length == 0) throw ApiException.BadField("source", "must not be empty");
        int bad = source.AsSpan().IndexOfAnyExcept("0123456789");
        if (bad >= 0 || source.Any(c => c - '0' >= sourceVocabulary))
            throw ApiException.BadField("source", $"must be digits 0-{Math.Min(9, sourceVocabulary - 1)} (the model's source vocabulary), got '{(bad >= 0 ? source[bad] : '?')}' at position {Math.Max(bad, 0)}");
        int beam = body.Int("beam", 1, 1, 64);
        int nBest = body.Int("nbest", 1, 1, beam);
        int maxLength = body.Int("max_length", source.Length + 2, 1, 4 * source.Length + 16);
        using var deadline = Deadline(context, body);
        var work = new TranslateWork(source.Select(c => c - '0').ToArray(), beam, nBest, maxLength, deadline.Token);
        Enqueue(model.Scheduler.TryEnqueue(work), model);
        IReadOnlyList<Hypothesis> hypotheses = await Outcome(work.Result.Task, context);
        int eos = model.Engine.Config.EosId;
        return Results.Json(new Dictionary<string, object>
        {
            ["hypotheses"] = hypotheses.Select(h => new Dictionary<string, object>
            {
                ["text"] = string.Concat(h.Tokens.Where(t => t != eos).Select(t => t < 10 ? (char)('0' + t) : '?')),
                ["log_prob"] = h.LogProbability,
                ["score"] = h.Score,
            }).ToArray(),
        });
    }

    private T Find<T>(string name, string endpoint) where T : ServedModel
    {
        if (!models.TryGetValue(name, out ServedModel? model))
            throw new ApiException(StatusCodes.Status404NotFound, "model", $"no model named '{name}' (served: {string.Join(", ", models.Keys)})");
        return model as T ?? throw new ApiException(StatusCodes.Status404NotFound, "model",
            $"model '{name}' is a {model.Kind} model: it does not serve {endpoint}");
    }

    /// <summary>The prompt's ids; characters outside the vocabulary are a 400 naming each of them.</summary>
    private static int[] Encode(Vocabulary vocabulary, string text, string field)
    {
        var ids = new List<int>(text.Length);
        var unknown = new List<string>();
        foreach (Rune r in text.EnumerateRunes())
        {
            if (vocabulary.TryGetId(r, out int id)) ids.Add(id);
            else if (unknown.Count < 20 && !unknown.Contains(Vocabulary.Describe(r))) unknown.Add(Vocabulary.Describe(r));
        }
        if (unknown.Count > 0)
            throw ApiException.BadField(field, $"characters not in the model's vocabulary: {string.Join(", ", unknown)}");
        return ids.ToArray();
    }

    private static CancellationTokenSource Deadline(HttpContext context, RequestBody body)
    {
        int timeoutMs = body.Int("timeout_ms", DefaultTimeoutMs, 1, 3_600_000);
        var source = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        source.CancelAfter(timeoutMs);
        return source;
    }

    private static void Enqueue(bool accepted, ServedModel model)
    {
        if (!accepted) throw new ApiException(StatusCodes.Status429TooManyRequests, null, $"the queue of model '{model.Name}' is full; retry later");
    }

    /// <summary>The scheduler's answer; a cancelled one is the deadline's (or the client left, and nobody reads the answer).</summary>
    private static async Task<T> Outcome<T>(Task<T> task, HttpContext context)
    {
        try
        {
            return await task;
        }
        catch (OperationCanceledException)
        {
            throw TimedOut(context);
        }
    }

    private static ApiException TimedOut(HttpContext context) => context.RequestAborted.IsCancellationRequested
        ? new ApiException(499, null, "the client closed the request")
        : new ApiException(StatusCodes.Status504GatewayTimeout, "timeout_ms", "timeout_ms: the request's deadline passed before it was done");

    private static Dictionary<string, object> Final(GenerationResult r) => new()
    {
        ["text"] = r.Text,
        ["tokens"] = r.Tokens,
        ["finish_reason"] = r.Reason == FinishReason.Stop ? "stop" : "length",
    };

    private static async Task Event(HttpContext context, Dictionary<string, object> data)
    {
        await context.Response.WriteAsync($"data: {JsonSerializer.Serialize(data)}\n\n", context.RequestAborted);
        await context.Response.Body.FlushAsync(context.RequestAborted);
    }
}
