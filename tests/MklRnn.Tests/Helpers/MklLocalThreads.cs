using MklRnn.Interop;

namespace MklRnn.Tests.Helpers;

/// <summary>
/// MKL's thread count for the calling thread (mkl_set_num_threads_local) for the length of a using scope, the
/// previous count restored on dispose. default leaves the count alone (a test that sets it only in some cases).
/// </summary>
internal readonly struct MklLocalThreads : IDisposable
{
    private readonly int _previous;
    private readonly bool _set;

    private MklLocalThreads(int threads)
    {
        _previous = Mkl.SetNumThreadsLocal(threads);
        _set = true;
    }

    public static MklLocalThreads Set(int threads) => new(threads);

    public void Dispose()
    {
        if (_set) Mkl.SetNumThreadsLocal(_previous);
    }
}
