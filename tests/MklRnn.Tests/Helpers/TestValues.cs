namespace MklRnn.Tests.Helpers;

/// <summary>Seeded test inputs and float comparison shared by the engine tests.</summary>
internal static class TestValues
{
    /// <summary>count values uniform in [-1, 1) from rng.</summary>
    public static float[] Rand(Random rng, int count)
    {
        var v = new float[count];
        for (int i = 0; i < count; i++) v[i] = rng.NextSingle() * 2 - 1;
        return v;
    }
}

/// <summary>Equal within tolerance * (1 + |a|): absolute near zero, relative for large values.</summary>
internal sealed class ToleranceComparer(float tolerance) : IEqualityComparer<float>
{
    public bool Equals(float a, float b) => Math.Abs(a - b) <= tolerance * (1 + Math.Abs(a));
    public int GetHashCode(float v) => 0;
}
