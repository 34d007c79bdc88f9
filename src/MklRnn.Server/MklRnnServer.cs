using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Prometheus;

namespace MklRnn.Server;

/// <summary>
/// `mklrnn serve`: Kestrel on the loopback address with the API of <see cref="Endpoints"/>, one scheduler per
/// loaded model, Prometheus metrics at /metrics. Shutdown (SIGTERM, Ctrl-C, <see cref="StopAsync"/>) stops
/// accepting, lets in-flight requests finish within the drain timeout, then stops the schedulers.
/// </summary>
public sealed class MklRnnServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly Dictionary<string, ServedModel> _models;
    private readonly ServerOptions _options;

    private MklRnnServer(WebApplication app, Dictionary<string, ServedModel> models, ServerOptions options)
    {
        _app = app;
        _models = models;
        _options = options;
    }

    public ServerMetrics Metrics { get; private set; } = null!;

    /// <summary>The bound port (the chosen one when the options said 0); valid after StartAsync.</summary>
    public int Port { get; private set; }

    /// <summary>Loads every model once (one log line each) and builds the app; throws ArgumentException naming a bad option or model.</summary>
    public static MklRnnServer Create(ServerOptions options, TextWriter log)
    {
        options.Validate();
        if (options.Threads > 0) MklRuntime.SetThreads(options.Threads);
        var metrics = new ServerMetrics();
        var models = new Dictionary<string, ServedModel>(StringComparer.Ordinal);
        try
        {
            foreach (var (name, path) in options.Models)
                models.Add(name, ServedModel.Load(name, path, options, metrics, log));
        }
        catch
        {
            foreach (ServedModel m in models.Values) m.Dispose();
            throw;
        }

        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = options.DrainTimeout);
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Listen(IPAddress.Loopback, options.Port);
            k.Limits.MaxRequestBodySize = options.MaxBodyBytes;
        });
        WebApplication app = builder.Build();
        var server = new MklRnnServer(app, models, options) { Metrics = metrics };
        app.Use(server.AnswerAndCount);
        new Endpoints(models, options).Map(app);
        app.MapMetrics("/metrics", metrics.Registry);
        return server;
    }

    public async Task StartAsync()
    {
        foreach (ServedModel m in _models.Values) m.Start();
        await _app.StartAsync();
        string address = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        Port = new Uri(address).Port;
    }

    /// <summary>Completes when the host is asked to stop (SIGTERM, Ctrl-C or StopAsync) and has drained its requests.</summary>
    public async Task WaitForShutdownAsync()
    {
        await _app.WaitForShutdownAsync();
        StopSchedulers();
    }

    public async Task StopAsync()
    {
        await _app.StopAsync();
        StopSchedulers();
    }

    private void StopSchedulers()
    {
        foreach (ServedModel m in _models.Values) m.Stop(_options.DrainTimeout);
    }

    /// <summary>Turns refusals into JSON errors (status, message, field) and counts every answer by model, endpoint and status.</summary>
    private async Task AnswerAndCount(HttpContext context, RequestDelegate next)
    {
        long start = Stopwatch.GetTimestamp();
        try
        {
            await next(context);
        }
        catch (ApiException e)
        {
            await Refuse(context, e.Status, e.Message, e.Field);
        }
        catch (BadHttpRequestException e)
        {
            // Kestrel's own refusals, e.g. a body over MaxRequestBodySize (413).
            await Refuse(context, e.StatusCode, e.StatusCode == StatusCodes.Status413PayloadTooLarge
                ? $"the body is larger than the limit of {_options.MaxBodyBytes} bytes" : e.Message, null);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            context.Response.StatusCode = 499; // nobody reads it; counted as the client closing the request
        }
        string[] path = context.Request.Path.Value?.Split('/', StringSplitOptions.RemoveEmptyEntries) ?? [];
        bool perModel = path.Length == 4 && path[0] == "v1" && path[1] == "models";
        string model = perModel ? path[2] : "", endpoint = perModel ? path[3] : context.Request.Path.Value ?? "";
        if (perModel && !_models.ContainsKey(model)) model = "(unknown)"; // no label per misspelt name
        Metrics.Requests.WithLabels(model, endpoint, context.Response.StatusCode.ToString(System.Globalization.CultureInfo.InvariantCulture)).Inc();
        if (perModel) Metrics.LatencySeconds.WithLabels(model, endpoint).Observe(Stopwatch.GetElapsedTime(start).TotalSeconds);
    }

    private static async Task Refuse(HttpContext context, int status, string message, string? field)
    {
        if (context.Response.HasStarted) return; // a stream already under way: the client sees it end
        context.Response.Clear();
        context.Response.StatusCode = status;
        if (status == StatusCodes.Status429TooManyRequests) context.Response.Headers.RetryAfter = "1";
        var error = new Dictionary<string, object?> { ["error"] = message, ["field"] = field, ["status"] = status };
        await context.Response.WriteAsJsonAsync(error, JsonSerializerOptions.Default);
    }

    public async ValueTask DisposeAsync()
    {
        StopSchedulers();
        await _app.DisposeAsync();
        foreach (ServedModel m in _models.Values) m.Dispose();
    }
}
