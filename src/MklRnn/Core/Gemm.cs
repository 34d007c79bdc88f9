using MklRnn.Interop;

namespace MklRnn.Core;

/// <summary>
/// Row-major single-precision GEMM through MKL: C (m, n) = alpha * op(A) * op(B) + beta * C.
/// The pointer overloads are the engine's hot path: their callers size every buffer from one
/// SequencePlan, and the leading dimensions are checked here (MKL would only call xerbla).
/// The span overload checks lengths too, for callers outside the engine.
/// </summary>
internal static unsafe class Gemm
{
    /// <summary>C = alpha * op(A) op(B) + beta * C with op(X) = X or X^T.</summary>
    public static void Multiply(bool transA, bool transB, int m, int n, int k, float alpha,
        float* a, int lda, float* b, int ldb, float beta, float* c, int ldc)
    {
        if (m == 0 || n == 0) return;
        CheckLeadingDimensions(transA, transB, m, n, k, lda, ldb, ldc);
        if (k == 0)
        {
            // MKL handles k = 0 as "scale C by beta"; make it explicit and cheap.
            ScaleRows(c, m, n, ldc, beta);
            return;
        }
        Mkl.Sgemm(transA ? Mkl.Trans : Mkl.NoTrans, transB ? Mkl.Trans : Mkl.NoTrans, m, n, k, alpha,
            a, lda, b, ldb, beta, c, ldc);
    }

    /// <summary>Span form with full bounds checks.</summary>
    public static void Multiply(bool transA, bool transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc)
    {
        CheckLeadingDimensions(transA, transB, m, n, k, lda, ldb, ldc);
        CheckLength(nameof(a), a.Length, transA ? k : m, lda, transA ? m : k);
        CheckLength(nameof(b), b.Length, transB ? n : k, ldb, transB ? k : n);
        CheckLength(nameof(c), c.Length, m, ldc, n);
        fixed (float* pa = a, pb = b, pc = c)
            Multiply(transA, transB, m, n, k, alpha, pa, lda, pb, ldb, beta, pc, ldc);
    }

    private static void CheckLeadingDimensions(bool transA, bool transB, int m, int n, int k, int lda, int ldb, int ldc)
    {
        if (m < 0 || n < 0 || k < 0)
            throw new ArgumentOutOfRangeException(nameof(m), $"GEMM sizes must be >= 0, got m={m} n={n} k={k}");
        if (lda < Math.Max(1, transA ? m : k)) throw new ArgumentOutOfRangeException(nameof(lda), $"lda={lda} < {(transA ? m : k)}");
        if (ldb < Math.Max(1, transB ? k : n)) throw new ArgumentOutOfRangeException(nameof(ldb), $"ldb={ldb} < {(transB ? k : n)}");
        if (ldc < Math.Max(1, n)) throw new ArgumentOutOfRangeException(nameof(ldc), $"ldc={ldc} < {n}");
    }

    private static void CheckLength(string name, int length, int rows, int ld, int cols)
    {
        long needed = rows == 0 || cols == 0 ? 0 : (long)(rows - 1) * ld + cols;
        if (length < needed)
            throw new ArgumentException($"{name} holds {length} floats, a ({rows} x {cols}) matrix with leading dimension {ld} needs {needed}", name);
    }

    private static void ScaleRows(float* c, int m, int n, int ldc, float beta)
    {
        for (int r = 0; r < m; r++)
        {
            var row = new Span<float>(c + (long)r * ldc, n);
            if (beta == 0) row.Clear();
            else if (beta != 1) foreach (ref float v in row) v *= beta;
        }
    }
}
