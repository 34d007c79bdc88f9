namespace MklRnn.Threading;

/// <summary>
/// A reusable barrier for two threads that meet once per time step, microseconds apart: waiting spins
/// (yielding now and then, never sleeping), since blocking and waking a thread costs more than a step.
/// <see cref="Abort"/> releases a waiting party (used when the other one failed).
/// </summary>
internal sealed class SpinBarrier(int parties)
{
    private int _arrived;
    private int _generation;
    private volatile bool _aborted;

    /// <summary>Arrives and waits for the others; false when the barrier was aborted.</summary>
    public bool SignalAndWait()
    {
        int generation = Volatile.Read(ref _generation);
        if (Interlocked.Increment(ref _arrived) == parties)
        {
            Volatile.Write(ref _arrived, 0);
            Interlocked.Increment(ref _generation);
            return !_aborted;
        }
        var spinner = new SpinWait();
        while (Volatile.Read(ref _generation) == generation)
        {
            if (_aborted) return false;
            spinner.SpinOnce(sleep1Threshold: -1);
        }
        return !_aborted;
    }

    public void Abort() => _aborted = true;

    public void Reset()
    {
        _aborted = false;
        Volatile.Write(ref _arrived, 0);
    }
}
