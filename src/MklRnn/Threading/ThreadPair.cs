using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;
using MklRnn.Interop;

namespace MklRnn.Threading;

/// <summary>
/// Runs one job on two threads at once, job(thread, threads), each with MKL and the shim's kernels on
/// one thread. While MKL has two or more threads, the pair is MKL's own OpenMP team (mklrnn_run_team):
/// MKL's workers keep spinning for a while after each parallel GEMM, so a third busy thread of ours
/// would take turns with them on two cores. With MKL on one thread (no team to borrow), the pair is the
/// calling thread and a <see cref="SideThread"/>. The team may grant fewer threads than asked: a job
/// must do all the work when threads == 1. Exceptions never cross the native team callback: each
/// thread's is caught and recorded there, and rethrown on the caller once the team has returned.
/// Dispose during a Run (another thread) is deferred to the Run's end. Running allocates nothing
/// (jobs are cached delegates).
/// </summary>
internal sealed unsafe class ThreadPair : IDisposable
{
    /// <summary>Off with MKLRNN_TEAM=0: the side thread always (for A/B measurements).</summary>
    private static readonly bool TeamEnabled = Environment.GetEnvironmentVariable("MKLRNN_TEAM") != "0";

    private readonly Exception?[] _errors = new Exception?[2];
    private readonly Action _sideJob;
    private readonly string _sideName;
    private GCHandle _self;
    private SideThread? _side;
    private Action<int, int>? _job;
    private int _running;            // 1 while Run executes
    private volatile bool _disposeRequested;

    public ThreadPair(string sideName)
    {
        _sideName = sideName;
        _sideJob = () => Execute(1, 2);
        // Weak: an owner that is never disposed does not stay alive through the handle (during Run this
        // object is on the caller's stack, and Dispose waits for Run's end to free the handle).
        _self = GCHandle.Alloc(this, GCHandleType.Weak);
    }

    /// <summary>True when the pair is MKL's team (MKL on two or more threads).</summary>
    public static bool UsesTeam => TeamEnabled && Mkl.GetMaxThreads() >= 2;

    public void Run(Action<int, int> job)
    {
        ObjectDisposedException.ThrowIf(_disposeRequested, this);
        if (Interlocked.Exchange(ref _running, 1) == 1)
            throw new InvalidOperationException("a ThreadPair runs one job at a time");
        _job = job;
        try
        {
            if (UsesTeam)
            {
                NativeShim.RunTeam(2, &TeamJob, (void*)GCHandle.ToIntPtr(_self));
            }
            else
            {
                _side ??= new SideThread(_sideName);
                _side.Start(_sideJob);
                try
                {
                    Execute(0, 2);
                }
                finally
                {
                    _side.Wait();
                }
            }
        }
        finally
        {
            _job = null;
            Volatile.Write(ref _running, 0);
            if (_disposeRequested && Interlocked.CompareExchange(ref _running, 1, 0) == 0) Release();
        }
        foreach (ref Exception? error in _errors.AsSpan())
            if (error is { } e)
            {
                Array.Clear(_errors);
                ExceptionDispatchInfo.Throw(e);
            }
    }

    /// <summary>
    /// The native team's callback. Nothing may escape it (an exception crossing an unmanaged frame
    /// aborts the process): Execute records every exception, and the handle stays valid during Run.
    /// </summary>
    [UnmanagedCallersOnly]
    private static void TeamJob(int thread, int threads, void* state)
    {
        ((ThreadPair)GCHandle.FromIntPtr((nint)state).Target!).Execute(thread, threads);
    }

    private void Execute(int thread, int threads)
    {
        int previousMkl = -1, previousKernels = -1;
        try
        {
            previousMkl = Mkl.SetNumThreadsLocal(1);
            previousKernels = NativeShim.SetKernelThreads(1);
            _job!(thread, threads);
        }
        catch (Exception e)
        {
            _errors[thread] = e;
        }
        finally
        {
            if (previousKernels >= 0) NativeShim.SetKernelThreads(previousKernels);
            if (previousMkl >= 0) Mkl.SetNumThreadsLocal(previousMkl);
        }
    }

    /// <summary>
    /// Frees the side thread and the handle now, or at the end of a Run in progress: whoever moves
    /// _running from 0 to 1 after the request releases (once; _running then stays 1).
    /// </summary>
    public void Dispose()
    {
        _disposeRequested = true;
        if (Interlocked.CompareExchange(ref _running, 1, 0) == 0) Release();
    }

    private void Release()
    {
        _side?.Dispose();
        _side = null;
        if (_self.IsAllocated) _self.Free();
    }
}
