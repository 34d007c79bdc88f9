using System.Diagnostics;

namespace MklRnn.Cli.Loadtest;

/// <summary>
/// Waiting for the .NET JIT to settle before a load test's clock starts. A fresh process recompiles its hot methods
/// in the background for a second or more after they first ran (tiered compilation, PGO); measured with
/// `perf record` during a 64-client run against a fresh server, that JIT thread took about a third of the server's CPU
/// samples and three quarters of the generator's, on the cores the engine needs, and an engine loop still at tier 0
/// draws its characters several times slower. Both sides of a comparison are measured warm.
/// </summary>
internal static class JitQuiet
{
    private static readonly TimeSpan Period = TimeSpan.FromMilliseconds(500), Limit = TimeSpan.FromSeconds(10);
    private const int Handful = 5;

    /// <summary>
    /// Waits until this process and the other one (its compiled-method count, or 0 when there is none) compiled at most
    /// a handful of methods in half a second; at most 10 s (a busy neighbour in the same process, or tiering on a
    /// loaded machine, may trickle on for longer).
    /// </summary>
    public static async Task WaitAsync(Func<Task<double>> otherCount)
    {
        var waited = Stopwatch.StartNew();
        (long Own, double Other) last = (long.MinValue / 2, double.MinValue / 2);
        while (waited.Elapsed < Limit)
        {
            (long Own, double Other) now = (System.Runtime.JitInfo.GetCompiledMethodCount(), await otherCount());
            if (now.Own - last.Own <= Handful && now.Other - last.Other <= Handful) return;
            last = now;
            await Task.Delay(Period);
        }
    }
}
