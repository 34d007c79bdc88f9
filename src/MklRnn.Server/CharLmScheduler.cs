using System.Diagnostics;
using MklRnn.CharLm;
using MklRnn.Training;

namespace MklRnn.Server;

/// <summary>A generate request: its stream joins the running batch when a row is free.</summary>
public sealed class GenerateWork(GenerationStream stream) : WorkItem(stream.Cancellation)
{
    public GenerationStream Stream { get; } = stream;
}

/// <summary>A score request: the text's ids; completes with the summed loss over its predicted characters.</summary>
public sealed class ScoreWork(int[] ids, CancellationToken cancellation) : WorkItem(cancellation)
{
    public int[] Ids { get; } = ids;
    public TaskCompletionSource<LossResult> Result { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
}

/// <summary>
/// The scheduler of a character LM: continuous batching of generation streams through a
/// <see cref="BatchedGenerator"/> (each iteration: score requests that arrived together as one packed batch, then
/// waiting streams into free rows with one packed prefill, then ONE batched step for every running stream).
/// </summary>
public sealed class CharLmScheduler : ModelScheduler<WorkItem>
{
    private readonly BatchedGenerator _generator;
    private readonly BatchScorer _scorer;
    private readonly int _maxBatch;
    private readonly Queue<GenerateWork> _waiting = new();
    private readonly List<ScoreWork> _scores = [];
    private readonly List<GenerationStream> _joining = [];
    private readonly List<int[]> _scoreTexts = [];
    // This model's metric series, looked up once: a step records them without allocating.
    private readonly Prometheus.Histogram.Child _stepRows, _stepSeconds;
    private readonly Prometheus.Counter.Child _tokens;
    private readonly Prometheus.Gauge.Child _active, _tokensPerSecond;
    private long _rateStart = Stopwatch.GetTimestamp();
    private long _rateTokens;

    public CharLmScheduler(string model, CharLmModel engine, Vocabulary vocabulary, int maxBatch, int maxQueue, ServerMetrics metrics)
        : base(model, metrics, maxQueue)
    {
        _generator = new BatchedGenerator(engine, vocabulary, maxBatch);
        _scorer = new BatchScorer(engine);
        _maxBatch = maxBatch;
        _stepRows = metrics.BatchSize.WithLabels(model, "generate");
        _stepSeconds = metrics.StepSeconds.WithLabels(model);
        _tokens = metrics.Tokens.WithLabels(model);
        _active = metrics.ActiveStreams.WithLabels(model);
        _tokensPerSecond = metrics.TokensPerSecond.WithLabels(model);
    }

    protected override bool Busy => _generator.Active > 0 || _waiting.Count > 0 || _scores.Count > 0;

    protected override void Take(WorkItem work)
    {
        if (work is GenerateWork g) _waiting.Enqueue(g);
        else _scores.Add((ScoreWork)work);
    }

    protected override void Iterate()
    {
        RunScores();
        AdmitWaiting();
        int tokens;
        long stepStart = Stopwatch.GetTimestamp();
        try
        {
            tokens = _generator.Step();
        }
        catch (Exception e)
        {
            _generator.CancelAll(e); // the requests fail with 500; the scheduler serves the next ones
            return;
        }
        if (tokens > 0)
        {
            _stepSeconds.Observe(Stopwatch.GetElapsedTime(stepStart).TotalSeconds);
            _stepRows.Observe(tokens);
            _tokens.Inc(tokens);
            _rateTokens += tokens;
        }
        _active.Set(_generator.Active);
        double seconds = Stopwatch.GetElapsedTime(_rateStart).TotalSeconds;
        if (seconds >= 1 || _generator.Active == 0)
        {
            _tokensPerSecond.Set(seconds > 0 ? _rateTokens / seconds : 0);
            _rateStart = Stopwatch.GetTimestamp();
            _rateTokens = 0;
        }
    }

    protected override void Cancel()
    {
        _generator.CancelAll();
        while (_waiting.TryDequeue(out GenerateWork? g)) g.Stream.Cancel();
        foreach (ScoreWork s in _scores) s.Result.TrySetCanceled();
        _scores.Clear();
    }

    /// <summary>Score requests that arrived together, up to max-batch texts, as one packed batch.</summary>
    private void RunScores()
    {
        if (_scores.Count == 0) return;
        int n = Math.Min(_scores.Count, _maxBatch);
        _scoreTexts.Clear();
        var batch = _scores.GetRange(0, n);
        _scores.RemoveRange(0, n);
        foreach (ScoreWork s in batch) Started(s);
        batch.RemoveAll(s => s.Cancellation.IsCancellationRequested && s.Result.TrySetCanceled());
        if (batch.Count == 0) return;
        foreach (ScoreWork s in batch) _scoreTexts.Add(s.Ids);
        try
        {
            _generator.Suspend(); // the scorer runs on the same stack
            LossResult[] results = _scorer.Score(_scoreTexts);
            for (int i = 0; i < batch.Count; i++) batch[i].Result.TrySetResult(results[i]);
            Metrics.BatchSize.WithLabels(Model, "score").Observe(batch.Count);
        }
        catch (Exception e)
        {
            foreach (ScoreWork s in batch) s.Result.TrySetException(e);
        }
    }

    /// <summary>Waiting streams into the free rows (cancelled ones leave the queue without a row).</summary>
    private void AdmitWaiting()
    {
        _joining.Clear();
        while (_waiting.Count > 0 && (_joining.Count < _generator.FreeRows || _waiting.Peek().Cancellation.IsCancellationRequested))
        {
            GenerateWork g = _waiting.Dequeue();
            Started(g);
            _joining.Add(g.Stream);
        }
        if (_joining.Count == 0) return;
        try
        {
            _generator.Admit(_joining);
        }
        catch (Exception e)
        {
            foreach (GenerationStream s in _joining) s.Fail(e);
            _generator.CancelAll(e);
        }
    }
}
