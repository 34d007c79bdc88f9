using MklRnn.Interop;

namespace MklRnn.Perf;

/// <summary>Shared setup of every benchmark: MKL on all cores, seeded inputs.</summary>
public static class PerfSetup
{
    public const int Seed = 7;

    /// <summary>MKL's threads for every benchmark: all cores (what the engine uses by default).</summary>
    public static int Threads => Environment.ProcessorCount;

    public static void UseAllCores()
    {
        NativeLoader.EnsureLoaded();
        MklRuntime.SetThreads(Threads);
    }

    /// <summary>count values uniform in [-1, 1), the same on every run.</summary>
    public static float[] Uniform(long count, int seed)
    {
        var random = new Random(seed);
        var values = new float[count];
        for (long i = 0; i < count; i++) values[i] = random.NextSingle() * 2f - 1f;
        return values;
    }

    /// <summary>N lengths uniform in [T/4, T], seeded; the first is T.</summary>
    public static int[] UniformLengths(int T, int N, int seed)
    {
        var random = new Random(seed);
        var lengths = new int[N];
        for (int b = 0; b < N; b++) lengths[b] = b == 0 ? T : random.Next(Math.Max(1, T / 4), T + 1);
        return lengths;
    }
}
