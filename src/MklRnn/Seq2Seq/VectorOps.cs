using System.Numerics;
using System.Runtime.CompilerServices;

namespace MklRnn.Seq2Seq;

/// <summary>Short-vector kernels of the attention loops (one row of H floats at a time), SIMD through Vector&lt;float&gt;.</summary>
internal static unsafe class VectorOps
{
    /// <summary>Σ a[i] b[i].</summary>
    public static float Dot(float* a, float* b, int n)
    {
        int i = 0;
        var acc = Vector<float>.Zero;
        for (; i <= n - Vector<float>.Count; i += Vector<float>.Count)
            acc += Unsafe.ReadUnaligned<Vector<float>>(a + i) * Unsafe.ReadUnaligned<Vector<float>>(b + i);
        float sum = Vector.Sum(acc);
        for (; i < n; i++) sum += a[i] * b[i];
        return sum;
    }

    /// <summary>y[i] += alpha x[i].</summary>
    public static void AddScaled(float alpha, float* x, float* y, int n)
    {
        int i = 0;
        var va = new Vector<float>(alpha);
        for (; i <= n - Vector<float>.Count; i += Vector<float>.Count)
            Unsafe.WriteUnaligned(y + i, Unsafe.ReadUnaligned<Vector<float>>(y + i) + va * Unsafe.ReadUnaligned<Vector<float>>(x + i));
        for (; i < n; i++) y[i] += alpha * x[i];
    }
}
