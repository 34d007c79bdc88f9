namespace MklRnn.Threading;

/// <summary>
/// One call at a time on an object that is not thread-safe, detected cheaply (one interlocked
/// exchange on entry, one on exit) so a second thread gets a clear InvalidOperationException instead of
/// wrong numbers or a crash; and a Dispose that arrives during a call (from another thread) is
/// deferred to that call's end, so native memory is never freed under a running kernel.
/// </summary>
internal sealed class CallGuard(object owner, Action release)
{
    private const int Idle = 0, Busy = 1, DisposePending = 2, Disposed = 3;
    private int _state;

    public bool IsDisposed => Volatile.Read(ref _state) is Disposed or DisposePending;

    /// <summary>True while a call runs (tests use it to time a Dispose into a call).</summary>
    public bool InCall => Volatile.Read(ref _state) is Busy or DisposePending;

    /// <summary>Marks a call as running until the returned scope is disposed.</summary>
    public Scope Enter(string member)
    {
        int state = Interlocked.CompareExchange(ref _state, Busy, Idle);
        if (state == Idle) return new Scope(this);
        ObjectDisposedException.ThrowIf(state is Disposed or DisposePending, owner);
        throw new InvalidOperationException(
            $"{owner.GetType().Name}.{member} was called while another call is running on the same instance " +
            "(from another thread, or from inside a callback). One instance serves one call at a time: use one " +
            "instance per thread, or share the weights (RecurrentWeights) with one RecurrentSession per thread.");
    }

    /// <summary>Releases now when idle; during a call, the call's end releases. Idempotent.</summary>
    public void Dispose()
    {
        while (true)
        {
            int state = Volatile.Read(ref _state);
            if (state == Idle && Interlocked.CompareExchange(ref _state, Disposed, Idle) == Idle)
            {
                release();
                return;
            }
            if (state == Busy && Interlocked.CompareExchange(ref _state, DisposePending, Busy) == Busy) return;
            if (state is DisposePending or Disposed) return;
        }
    }

    private void Exit()
    {
        if (Interlocked.CompareExchange(ref _state, Idle, Busy) == Busy) return;
        Volatile.Write(ref _state, Disposed); // a Dispose arrived during the call
        release();
    }

    /// <summary>The running call; disposing it ends the call (a struct: entering allocates nothing).</summary>
    public readonly struct Scope(CallGuard guard) : IDisposable
    {
        public void Dispose() => guard.Exit();
    }
}
