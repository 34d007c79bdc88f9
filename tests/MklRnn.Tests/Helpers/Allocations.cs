namespace MklRnn.Tests.Helpers;

/// <summary>
/// Managed bytes a piece of work allocates, the fewest over several runs. Something else may allocate once during a
/// run — the runtime on this thread (a tiering or on-stack-replacement transition), or the test runner's, thread
/// pool's or finalizer's threads in a process-wide count (both seen on a loaded machine) — while an allocation of the
/// code under test shows in every run. Stops at the first run that allocates nothing.
/// </summary>
internal static class Allocations
{
    /// <summary>Bytes allocated on the calling thread.</summary>
    public static long FewestOnThisThread(Action work, int runs) => Fewest(work, runs, GC.GetAllocatedBytesForCurrentThread);

    /// <summary>Bytes allocated by every thread of the process (work that runs on other threads too).</summary>
    public static long FewestInProcess(Action work, int runs) => Fewest(work, runs, () => GC.GetTotalAllocatedBytes(precise: true));

    private static long Fewest(Action work, int runs, Func<long> allocatedSoFar)
    {
        long fewest = long.MaxValue;
        for (int run = 0; run < runs && fewest > 0; run++)
        {
            long before = allocatedSoFar();
            work();
            fewest = Math.Min(fewest, allocatedSoFar() - before);
        }
        return fewest;
    }
}
