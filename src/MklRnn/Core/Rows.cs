namespace MklRnn.Core;

/// <summary>Row-block copies and adds between strided (rows, width) matrices: state save/restore, gathers.</summary>
internal static unsafe class Rows
{
    /// <summary>dst[r, :width] = src[r, :width] for r &lt; rows.</summary>
    public static void Copy(float* src, int ldSrc, float* dst, int ldDst, int rows, int width)
    {
        if (ldSrc == width && ldDst == width)
        {
            Buffer.MemoryCopy(src, dst, (long)rows * width * sizeof(float), (long)rows * width * sizeof(float));
            return;
        }
        for (int r = 0; r < rows; r++)
            new ReadOnlySpan<float>(src + (long)r * ldSrc, width).CopyTo(new Span<float>(dst + (long)r * ldDst, width));
    }

    /// <summary>dst[r, :] = a[r, :] + b[r, :].</summary>
    public static void Add(float* a, int ldA, float* b, int ldB, float* dst, int ldDst, int rows, int width)
    {
        for (int r = 0; r < rows; r++)
        {
            float* pa = a + (long)r * ldA, pb = b + (long)r * ldB, pd = dst + (long)r * ldDst;
            int i = 0;
            if (System.Numerics.Vector.IsHardwareAccelerated)
            {
                int step = System.Numerics.Vector<float>.Count;
                for (; i <= width - step; i += step)
                {
                    var va = System.Runtime.CompilerServices.Unsafe.ReadUnaligned<System.Numerics.Vector<float>>(pa + i);
                    var vb = System.Runtime.CompilerServices.Unsafe.ReadUnaligned<System.Numerics.Vector<float>>(pb + i);
                    System.Runtime.CompilerServices.Unsafe.WriteUnaligned(pd + i, va + vb);
                }
            }
            for (; i < width; i++) pd[i] = pa[i] + pb[i];
        }
    }

    /// <summary>Zeroes rows of a strided matrix.</summary>
    public static void Clear(float* dst, int ld, int rows, int width)
    {
        if (ld == width)
        {
            new Span<float>(dst, rows * width).Clear();
            return;
        }
        for (int r = 0; r < rows; r++) new Span<float>(dst + (long)r * ld, width).Clear();
    }
}
