namespace MklRnn;

/// <summary>Derived seeds: one user seed gives independent, repeatable seeds per component and per step.</summary>
public static class Seeds
{
    /// <summary>A well-mixed non-negative seed from (seed, a, b) (SplitMix64's finaliser).</summary>
    public static int Mix(int seed, long a, long b = 0)
    {
        ulong z = (ulong)(uint)seed * 0x9E3779B97F4A7C15UL ^ (ulong)a * 0xBF58476D1CE4E5B9UL ^ (ulong)b * 0x94D049BB133111EBUL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        z ^= z >> 31;
        return (int)(z & 0x7FFFFFFF);
    }
}
