using MklRnn.Interop;

namespace MklRnn.Threading;

/// <summary>
/// While alive, the shim's kernels on this thread may split large blocks over as many threads as MKL
/// uses here (mklrnn_set_kernel_threads; both share one OpenMP pool). Disposing restores the previous
/// setting. For code that runs one direction at a time on the calling thread; a side thread keeps the
/// default of one. A ref struct: entering allocates nothing.
/// </summary>
internal readonly ref struct KernelThreadScope
{
    private readonly int _previous;

    private KernelThreadScope(int previous) => _previous = previous;

    public static KernelThreadScope MatchMkl() => new(NativeShim.SetKernelThreads(Mkl.GetMaxThreads()));

    public void Dispose() => NativeShim.SetKernelThreads(_previous);
}
