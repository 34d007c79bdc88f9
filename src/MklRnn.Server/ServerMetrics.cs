using Prometheus;

namespace MklRnn.Server;

/// <summary>
/// The server's Prometheus metrics, in a registry of its own (several servers in one process, as in the tests,
/// do not mix their counts). Served at GET /metrics by prometheus-net.
/// </summary>
public sealed class ServerMetrics
{
    public ServerMetrics()
    {
        Registry = Metrics.NewCustomRegistry();
        MetricFactory f = Metrics.WithCustomRegistry(Registry);
        Requests = f.CreateCounter("mklrnn_requests_total", "HTTP requests answered, by model, endpoint and status code.",
            new CounterConfiguration { LabelNames = ["model", "endpoint", "status"] });
        QueueDepth = f.CreateGauge("mklrnn_queue_depth", "Requests waiting for a row or a batch, per model.",
            new GaugeConfiguration { LabelNames = ["model"] });
        ActiveStreams = f.CreateGauge("mklrnn_active_streams", "Generation streams in the running batch, per model.",
            new GaugeConfiguration { LabelNames = ["model"] });
        BatchSize = f.CreateHistogram("mklrnn_batch_size", "Rows of each batched engine step (generate) or batch (score, translate).",
            new HistogramConfiguration { LabelNames = ["model", "kind"], Buckets = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512] });
        QueueSeconds = f.CreateHistogram("mklrnn_queue_seconds", "Time from a request's arrival to the start of its work.",
            new HistogramConfiguration { LabelNames = ["model"], Buckets = Histogram.ExponentialBuckets(0.0005, 2, 16) });
        LatencySeconds = f.CreateHistogram("mklrnn_request_seconds", "Time from a request's arrival to its answer.",
            new HistogramConfiguration { LabelNames = ["model", "endpoint"], Buckets = Histogram.ExponentialBuckets(0.001, 2, 16) });
        StepSeconds = f.CreateHistogram("mklrnn_step_seconds", "Engine time of each batched generation step (embedding, stacked step, head, draws), per model.",
            new HistogramConfiguration { LabelNames = ["model"], Buckets = Histogram.ExponentialBuckets(0.00002, 2, 16) });
        Tokens = f.CreateCounter("mklrnn_generated_tokens_total", "Characters generated, per model.",
            new CounterConfiguration { LabelNames = ["model"] });
        // Read when /metrics is scraped: a load test waits until it stops growing (the server is warm) before measuring.
        Gauge jitted = f.CreateGauge("mklrnn_jit_compiled_methods", "Methods the .NET JIT has compiled in this process (tiering recompiles hot ones: steady once warm).");
        Registry.AddBeforeCollectCallback(() => jitted.Set(System.Runtime.JitInfo.GetCompiledMethodCount()));
        TokensPerSecond = f.CreateGauge("mklrnn_tokens_per_second", "Characters generated per second over the last second or so, per model.",
            new GaugeConfiguration { LabelNames = ["model"] });
    }

    public CollectorRegistry Registry { get; }
    public Counter Requests { get; }
    public Gauge QueueDepth { get; }
    public Gauge ActiveStreams { get; }
    public Histogram BatchSize { get; }
    public Histogram QueueSeconds { get; }
    public Histogram LatencySeconds { get; }
    public Histogram StepSeconds { get; }
    public Counter Tokens { get; }
    public Gauge TokensPerSecond { get; }
}
