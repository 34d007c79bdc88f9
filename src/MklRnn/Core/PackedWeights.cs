using System.Runtime.InteropServices;
using MklRnn.Interop;

namespace MklRnn.Core;

/// <summary>
/// A weight matrix W (rows, cols), row-major as PyTorch stores it, packed once by MKL as the B operand
/// of C = A * W^T (forward: transposed) or C = A * W (backward), then reused by every time step
/// (cblas_sgemm_compute) until the weights change. Sized for A operands of up to MaxM rows.
/// </summary>
internal sealed unsafe class PackedWeights : IDisposable
{
    private void* _packed;
    private nuint _bytes;

    /// <summary>Output width n of C (W's rows when transposed, else its columns).</summary>
    public int Rows { get; private set; }

    /// <summary>Inner size k (A's columns).</summary>
    public int Cols { get; private set; }

    /// <summary>The Parameter version the packed copy was made from (-1: never packed).</summary>
    public int SourceVersion { get; private set; } = -1;

    public int MaxM { get; private set; }

    /// <summary>
    /// Packs W (wRows, wCols) with leading dimension ld, for A operands of up to maxM rows:
    /// transposed = true for C = A W^T (output width wRows), false for C = A W (output width wCols).
    /// </summary>
    public void Pack(float* w, int wRows, int wCols, int ld, bool transposed, int maxM, int sourceVersion)
    {
        maxM = Math.Max(maxM, 1);
        int n = transposed ? wRows : wCols, k = transposed ? wCols : wRows;
        nuint bytes = Mkl.PackGetSize(Mkl.BMatrix, maxM, n, k);
        if (bytes > _bytes)
        {
            Free();
            _packed = NativeMemory.AlignedAlloc(bytes, 64);
            _bytes = bytes;
        }
        Mkl.Pack(Mkl.BMatrix, transposed ? Mkl.Trans : Mkl.NoTrans, maxM, n, k, 1f, w, ld, (float*)_packed);
        Rows = n;
        Cols = k;
        MaxM = maxM;
        SourceVersion = sourceVersion;
    }

    /// <summary>True when the packed copy is of this version and large enough for maxM rows.</summary>
    public bool IsCurrent(int sourceVersion, int maxM) => SourceVersion == sourceVersion && MaxM >= maxM;

    /// <summary>C (m, Rows) = A (m, Cols) * op(W) + beta * C.</summary>
    public void Multiply(int m, float* a, int lda, float beta, float* c, int ldc)
    {
        if (m == 0) return;
        if (_packed == null) throw new InvalidOperationException("weights were not packed");
        if ((uint)m > (uint)MaxM) throw new ArgumentOutOfRangeException(nameof(m), $"m={m} > packed for {MaxM}");
        if (lda < Cols) throw new ArgumentOutOfRangeException(nameof(lda));
        if (ldc < Rows) throw new ArgumentOutOfRangeException(nameof(ldc));
        Mkl.Compute(Mkl.NoTrans, Mkl.Packed, m, Rows, Cols, a, lda, (float*)_packed, Cols, beta, c, ldc);
    }

    private void Free()
    {
        if (_packed != null)
        {
            NativeMemory.AlignedFree(_packed);
            _packed = null;
            _bytes = 0;
        }
    }

    public void Dispose()
    {
        Free();
        SourceVersion = -1;
        GC.SuppressFinalize(this);
    }

    ~PackedWeights() => Free();
}
