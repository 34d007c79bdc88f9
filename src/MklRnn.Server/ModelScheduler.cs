using System.Collections.Concurrent;
using System.Diagnostics;

namespace MklRnn.Server;

/// <summary>A request handed to a model's scheduler: when it arrived, and its cancellation (client gone or deadline).</summary>
public abstract class WorkItem(CancellationToken cancellation)
{
    public long ArrivedTicks { get; } = Stopwatch.GetTimestamp();
    public CancellationToken Cancellation { get; } = cancellation;
}

/// <summary>What the server does with any model's scheduler: start it, stop it after a drain.</summary>
public interface IModelScheduler : IDisposable
{
    void Start();
    void Stop(TimeSpan timeout);
}

/// <summary>
/// One thread per model that alone touches the model's engine; requests reach it through a bounded inbox (a full
/// one refuses: 429). Each loop takes what arrived, then runs one iteration of the subclass's batching (a
/// generation step, a score batch, a beam search batch). Stop lets it finish what it holds, then ends the thread.
/// </summary>
public abstract class ModelScheduler<TWork> : IModelScheduler where TWork : WorkItem
{
    private readonly ConcurrentQueue<TWork> _inbox = new();
    private readonly SemaphoreSlim _wake = new(0);
    private readonly Thread _thread;
    private readonly int _maxQueue;
    private int _queued; // accepted, not yet started (in the inbox or the subclass's waiting list)
    private volatile bool _stopping, _abort;

    protected ModelScheduler(string model, ServerMetrics metrics, int maxQueue)
    {
        Model = model;
        Metrics = metrics;
        _maxQueue = maxQueue;
        _thread = new Thread(Loop) { Name = $"mklrnn scheduler {model}", IsBackground = true };
    }

    public string Model { get; }
    protected ServerMetrics Metrics { get; }

    public void Start() => _thread.Start();

    /// <summary>Queues a request, or returns false when the queue is full.</summary>
    public bool TryEnqueue(TWork work)
    {
        if (Interlocked.Increment(ref _queued) > _maxQueue)
        {
            Interlocked.Decrement(ref _queued);
            return false;
        }
        Metrics.QueueDepth.WithLabels(Model).Inc();
        _inbox.Enqueue(work);
        _wake.Release();
        return true;
    }

    /// <summary>Ends the loop once everything it holds is done (the server stops accepting first); waits up to the timeout.</summary>
    public void Stop(TimeSpan timeout)
    {
        _stopping = true;
        _wake.Release();
        if (!_thread.IsAlive || _thread.Join(timeout)) return;
        _abort = true; // the loop cancels what it holds at its next pass
        _wake.Release();
        _thread.Join(TimeSpan.FromSeconds(5));
    }

    /// <summary>True while the subclass holds work (running streams, waiting requests).</summary>
    protected abstract bool Busy { get; }

    /// <summary>Takes a newly arrived request (on the scheduler thread).</summary>
    protected abstract void Take(TWork work);

    /// <summary>One round of batched work.</summary>
    protected abstract void Iterate();

    /// <summary>Ends everything held now (drain timeout passed); on the scheduler thread.</summary>
    protected abstract void Cancel();

    /// <summary>Marks requests as started: they leave the queue; records their time in it.</summary>
    protected void Started(TWork work)
    {
        Interlocked.Decrement(ref _queued);
        Metrics.QueueDepth.WithLabels(Model).Dec();
        Metrics.QueueSeconds.WithLabels(Model).Observe(Stopwatch.GetElapsedTime(work.ArrivedTicks).TotalSeconds);
    }

    private void Loop()
    {
        while (true)
        {
            while (_inbox.TryDequeue(out TWork? work)) Take(work);
            if (_abort)
            {
                Cancel();
                return;
            }
            if (!Busy)
            {
                if (_stopping && _inbox.IsEmpty) return;
                _wake.Wait(TimeSpan.FromMilliseconds(200)); // the timeout only bounds how late a stop is seen
                continue;
            }
            try
            {
                Iterate();
            }
            catch (Exception)
            {
                Cancel(); // a fault outside the per-batch handling: end what is held rather than the thread (requests would hang)
            }
            while (_wake.CurrentCount > 0 && _wake.Wait(0)) { } // arrivals are picked up by the next pass anyway
        }
    }

    public void Dispose()
    {
        Stop(TimeSpan.FromSeconds(5));
        _wake.Dispose();
    }
}
