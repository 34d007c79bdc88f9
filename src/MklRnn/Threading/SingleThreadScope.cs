using MklRnn.Interop;

namespace MklRnn.Threading;

/// <summary>
/// While alive, and when asked for, MKL runs on the calling thread alone (mkl_set_num_threads_local; the shim's kernels
/// follow, since <see cref="KernelThreadScope"/> reads mkl_get_max_threads, which returns the local setting); disposing
/// restores the previous local setting. For work
/// too small to pay a thread team's fork and join. A ref struct: entering allocates nothing.
/// </summary>
internal readonly ref struct SingleThreadScope
{
    private readonly int _previous; // the local setting to restore; -1: nothing was changed

    private SingleThreadScope(int previous) => _previous = previous;

    public static SingleThreadScope When(bool single) => new(single ? Mkl.SetNumThreadsLocal(1) : -1);

    public void Dispose()
    {
        if (_previous >= 0) Mkl.SetNumThreadsLocal(_previous);
    }
}
