using System.Diagnostics;

namespace MklRnn.Tooling.Bench;

/// <summary>Median and minimum wall time of the timed iterations of one workload, in milliseconds.</summary>
public readonly record struct Timing(double MedianMs, double MinMs, int Iterations);

/// <summary>
/// The harness's timing rule: <c>warmup</c> untimed iterations (at least one), then timed ones until at least
/// <c>iters</c> were taken and <c>minTime</c> seconds passed (at most 1000, as the other engines do).
/// <c>prepare</c> runs before each iteration outside the timer (gradient zeroing, as oneDNN's bench does).
/// </summary>
public static class IterationTimer
{
    public const int MaxIterations = 1000;

    public static Timing Measure(Action iteration, Action? prepare, int iters, int warmup, double minTime)
    {
        for (int w = 0; w < Math.Max(1, warmup); w++)
        {
            prepare?.Invoke();
            iteration();
        }
        var times = new List<double>(Math.Max(iters, 16));
        long start = Stopwatch.GetTimestamp();
        while (times.Count < iters || (Stopwatch.GetElapsedTime(start).TotalSeconds < minTime && times.Count < MaxIterations))
        {
            prepare?.Invoke();
            long t0 = Stopwatch.GetTimestamp();
            iteration();
            times.Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
        }
        return Summarize(times);
    }

    public static Timing Summarize(List<double> times)
    {
        times.Sort();
        int n = times.Count;
        double median = n % 2 == 1 ? times[n / 2] : 0.5 * (times[n / 2 - 1] + times[n / 2]);
        return new Timing(median, times[0], n);
    }
}
