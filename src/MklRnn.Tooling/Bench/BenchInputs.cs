using MklRnn.Memory;

namespace MklRnn.Tooling.Bench;

/// <summary>
/// Seeded inputs of a benchmark: the same values on every run, so runs are comparable. One source for the
/// bench verb and the BenchmarkDotNet suite (perf/MklRnn.Perf compiles this file too), so both time the same data.
/// </summary>
public static class BenchInputs
{
    public const int Seed = 7;

    /// <summary>Values uniform in [-1, 1).</summary>
    public static float[] Uniform(long count, int seed)
    {
        var random = new Random(seed);
        var values = new float[count];
        for (long i = 0; i < count; i++) values[i] = random.NextSingle() * 2f - 1f;
        return values;
    }

    /// <summary>A native buffer of count values uniform in [-1, 1) (the caller disposes it).</summary>
    internal static NativeBuffer Filled(long count, int seed)
    {
        var buffer = new NativeBuffer(checked((int)count));
        Uniform(count, seed).CopyTo(buffer.Span);
        return buffer;
    }

    /// <summary>N lengths uniform in [max(1, T/4), T], seeded; the first is T so the batch really spans T steps.</summary>
    public static int[] UniformLengths(int T, int N, int seed)
    {
        var random = new Random(seed);
        int low = Math.Max(1, T / 4);
        var lengths = new int[N];
        for (int b = 0; b < N; b++) lengths[b] = b == 0 ? T : random.Next(low, T + 1);
        return lengths;
    }
}
