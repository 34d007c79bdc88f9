using MklRnn.Seq2Seq;

namespace MklRnn.Server;

/// <summary>A translate request: source ids, beam width, hypotheses wanted, output length limit.</summary>
public sealed class TranslateWork(int[] source, int beam, int nBest, int maxLength, CancellationToken cancellation) : WorkItem(cancellation)
{
    public int[] Source { get; } = source;
    public int Beam { get; } = beam;
    public int NBest { get; } = nBest;
    public int MaxLength { get; } = maxLength;
    public TaskCompletionSource<IReadOnlyList<Hypothesis>> Result { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
}

/// <summary>
/// The scheduler of a seq2seq model: translate requests that arrived together and share (beam, nbest, length
/// limit) run as ONE beam search over all their sources (N sources x k beams rows, one decoder step for the live
/// beams of all of them), so what a request gets does not depend on the others. Up to max-batch sources per search.
/// </summary>
public sealed class TranslateScheduler(string model, Seq2SeqModel engine, int maxBatch, int maxQueue, ServerMetrics metrics)
    : ModelScheduler<TranslateWork>(model, metrics, maxQueue)
{
    private readonly List<TranslateWork> _pending = [];

    protected override bool Busy => _pending.Count > 0;

    protected override void Take(TranslateWork work) => _pending.Add(work);

    protected override void Iterate()
    {
        TranslateWork first = _pending[0];
        List<TranslateWork> batch = _pending
            .Where(w => w.Beam == first.Beam && w.NBest == first.NBest && w.MaxLength == first.MaxLength)
            .Take(maxBatch).ToList();
        foreach (TranslateWork w in batch)
        {
            _pending.Remove(w);
            Started(w);
        }
        batch.RemoveAll(w => w.Cancellation.IsCancellationRequested && w.Result.TrySetCanceled());
        if (batch.Count == 0) return;
        try
        {
            var sources = TokenBatch.From(batch.Select(w => w.Source).ToList(), engine.Config.SourceVocabularySize);
            IReadOnlyList<Hypothesis>[] results = BeamSearch.Decode(engine.StartDecoding(sources, first.Beam), first.Beam, first.MaxLength, nBest: first.NBest);
            for (int i = 0; i < batch.Count; i++) batch[i].Result.TrySetResult(results[i]);
            Metrics.BatchSize.WithLabels(Model, "translate").Observe(batch.Count);
        }
        catch (Exception e)
        {
            foreach (TranslateWork w in batch) w.Result.TrySetException(e);
        }
    }

    protected override void Cancel()
    {
        foreach (TranslateWork w in _pending) w.Result.TrySetCanceled();
        _pending.Clear();
    }
}
