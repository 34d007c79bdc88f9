namespace MklRnn.Core;

/// <summary>
/// The one place where sizes on the way to memory are multiplied: checked 64-bit arithmetic, and a bound
/// on any single buffer, so a product that would wrap (and size a buffer from the wrapped value) or ask for
/// an absurd allocation is an ArgumentException naming what was asked, thrown before anything is allocated.
/// Every work buffer, weight, packed-row count and history array is sized through here.
/// </summary>
internal static class SizeMath
{
    /// <summary>Largest single buffer in elements: 2^30 (4 GiB of floats), the pool's largest size class.</summary>
    public const long MaxElements = 1L << 30;

    /// <summary>
    /// A leading dimension (in elements of elementSize bytes) for rows of width elements: whole 64-byte lines, plus one
    /// line when the row's bytes are a multiple of 512. Rows 512 B apart (e.g. 2048 int32 or floats: 8 KB) map to a
    /// few of the L1's 64 sets and evict each other when a kernel walks several rows; one line more spreads them.
    /// Measured on the int8 LSTM step kernel (S1 widths, one thread, perf/kernels/run.sh): 3-15 % faster with 2048 + 16.
    /// </summary>
    public static int PaddedLeadingDimension(int elements, int elementSize)
    {
        int perLine = 64 / elementSize;
        int ld = (elements + perLine - 1) / perLine * perLine;
        return (long)ld * elementSize % 512 == 0 ? ld + perLine : ld;
    }

    /// <summary>Product of <paramref name="dims"/>; overflowing long is an ArgumentException for <paramref name="name"/>.</summary>
    public static long Product(ReadOnlySpan<int> dims, string name)
    {
        long p = 1;
        try
        {
            foreach (int d in dims) p = checked(p * d);
        }
        catch (OverflowException)
        {
            throw new ArgumentException($"{name}: the shape ({string.Join(", ", dims.ToArray())}) has more elements than a 64-bit count holds", name);
        }
        return p;
    }

    /// <summary>
    /// a * b as an int element or row count that fits one buffer (at most <see cref="MaxElements"/>);
    /// otherwise an ArgumentException naming <paramref name="what"/> (e.g. "maxSteps * batchSize").
    /// </summary>
    public static int Count(long a, long b, string what, string name)
    {
        long n = Elements(a, b, what, name);
        return (int)n;
    }

    /// <summary>a * b (both >= 0) in checked arithmetic, at most <see cref="MaxElements"/>; else an ArgumentException.</summary>
    public static long Elements(long a, long b, string what, string name)
    {
        long n;
        try
        {
            n = checked(a * b);
        }
        catch (OverflowException)
        {
            n = long.MaxValue;
        }
        if (n > MaxElements)
            throw new ArgumentException(
                $"{what} = {a} * {b} exceeds {MaxElements} (2^30) elements, the largest buffer MklRnn allocates", name);
        return n;
    }

    /// <summary>
    /// Requires <paramref name="rows"/> packed rows of every work buffer of a stack to fit: the widest row is
    /// the gates (G*H), the input or the layer output (D*Hout).
    /// </summary>
    public static void RequireStackRows(RnnConfig config, long rows, string what, string name)
    {
        if (rows > MaxElements) Elements(rows, 1, what, name);
        long widest = Math.Max((long)config.GateCount * config.HiddenSize, Math.Max(config.InputSize, (long)config.OutputSize));
        // rows <= 2^30 and widest < 2^32: no overflow; the message is built only on failure (hot path).
        if (rows * widest > MaxElements) Elements(rows, widest, $"{what} * {widest} floats per row", name);
    }
}
