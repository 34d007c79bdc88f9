using MklRnn.Interop;

namespace MklRnn.Core;

/// <summary>Whether a GEMM operand is used as stored or transposed.</summary>
internal enum Transpose { No, Yes }

/// <summary>
/// One row-major GEMM operand: where it starts, its leading dimension (floats between rows), and
/// whether the product reads it transposed. <c>Matrix.Of(w, ld).T</c> reads as "w transposed".
/// </summary>
internal readonly unsafe struct Matrix
{
    private Matrix(float* data, int ld, Transpose op)
    {
        Data = data;
        Ld = ld;
        Op = op;
    }

    public float* Data { get; }
    public int Ld { get; }
    public Transpose Op { get; }

    public static Matrix Of(float* data, int ld) => new(data, ld, Transpose.No);

    /// <summary>The same storage, read transposed.</summary>
    public Matrix T => new(Data, Ld, Op == Transpose.No ? Transpose.Yes : Transpose.No);
}

/// <summary>
/// Row-major single-precision GEMM through MKL: C (m, n) = alpha * op(A) (m, k) * op(B) (k, n) + beta * C.
/// The engine's callers size every buffer from one SequencePlan; the leading dimensions are checked
/// here (MKL would only call xerbla).
/// </summary>
internal static unsafe class Gemm
{
    public static void Multiply(int m, int n, int k, Matrix a, Matrix b, Matrix c, float alpha = 1f, float beta = 0f)
    {
        if (m == 0 || n == 0) return;
        CheckLeadingDimensions(m, n, k, a, b, c);
        if (k == 0)
        {
            // MKL handles k = 0 as "scale C by beta"; make it explicit and cheap.
            ScaleRows(c.Data, m, n, c.Ld, beta);
            return;
        }
        Mkl.Sgemm(ToMkl(a.Op), ToMkl(b.Op), m, n, k, alpha, a.Data, a.Ld, b.Data, b.Ld, beta, c.Data, c.Ld);
    }

    private static int ToMkl(Transpose op) => op == Transpose.Yes ? Mkl.Trans : Mkl.NoTrans;

    private static void CheckLeadingDimensions(int m, int n, int k, Matrix a, Matrix b, Matrix c)
    {
        if (m < 0 || n < 0 || k < 0)
            throw new ArgumentOutOfRangeException(nameof(m), $"GEMM sizes must be >= 0, got m={m} n={n} k={k}");
        // Row-major: the stored row holds op's columns, so a transposed operand's rows are m (k) long.
        int aCols = a.Op == Transpose.Yes ? m : k, bCols = b.Op == Transpose.Yes ? k : n;
        if (a.Ld < Math.Max(1, aCols)) throw new ArgumentOutOfRangeException(nameof(a), $"lda={a.Ld} < {aCols}");
        if (b.Ld < Math.Max(1, bCols)) throw new ArgumentOutOfRangeException(nameof(b), $"ldb={b.Ld} < {bCols}");
        if (c.Op == Transpose.Yes) throw new ArgumentException("the output of a GEMM cannot be transposed", nameof(c));
        if (c.Ld < Math.Max(1, n)) throw new ArgumentOutOfRangeException(nameof(c), $"ldc={c.Ld} < {n}");
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
