using System.Runtime.ExceptionServices;
using MklRnn.Interop;

namespace MklRnn.Threading;

/// <summary>
/// A dedicated background thread that runs one job at a time beside the caller's thread — the reverse
/// direction of a bidirectional layer — with MKL limited to one thread on it, so the two directions
/// run on two cores without MKL's OpenMP pool competing for them. Jobs are cached delegates:
/// starting one allocates nothing. An exception in a job is rethrown by <see cref="Wait"/>.
/// </summary>
internal sealed class SideThread : IDisposable
{
    private readonly Thread _thread;
    private readonly SemaphoreSlim _start = new(0);
    private readonly SemaphoreSlim _done = new(0);
    private Action? _job;
    private Exception? _error;
    private volatile bool _stop;

    public SideThread(string name)
    {
        _thread = new Thread(Loop) { IsBackground = true, Name = name };
        _thread.Start();
    }

    public void Start(Action job)
    {
        _job = job;
        _start.Release();
    }

    public void Wait()
    {
        _done.Wait();
        if (_error is { } error)
        {
            _error = null;
            ExceptionDispatchInfo.Throw(error);
        }
    }

    private void Loop()
    {
        bool mklLimited = false;
        while (true)
        {
            _start.Wait();
            if (_stop) return;
            try
            {
                if (!mklLimited)
                {
                    Mkl.SetNumThreadsLocal(1); // sticks to this thread
                    mklLimited = true;
                }
                _job!();
            }
            catch (Exception e)
            {
                _error = e;
            }
            _done.Release();
        }
    }

    public void Dispose()
    {
        _stop = true;
        _start.Release();
        _thread.Join();
        _start.Dispose();
        _done.Dispose();
    }
}
