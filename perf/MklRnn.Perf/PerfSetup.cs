using MklRnn.Interop;

namespace MklRnn.Perf;

/// <summary>Shared setup of every benchmark: MKL on all cores (seeded inputs come from MklRnn.Tooling.Bench.BenchInputs).</summary>
public static class PerfSetup
{
    /// <summary>MKL's threads for every benchmark: all cores (what the engine uses by default).</summary>
    public static int Threads => Environment.ProcessorCount;

    public static void UseAllCores()
    {
        NativeLoader.EnsureLoaded();
        MklRuntime.SetThreads(Threads);
    }
}
