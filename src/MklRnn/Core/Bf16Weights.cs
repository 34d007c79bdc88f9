using System.Runtime.InteropServices;
using MklRnn.Interop;

namespace MklRnn.Core;

/// <summary>
/// W converted to bfloat16 (round to nearest even, by the shim) and packed once for
/// cblas_gemm_bf16bf16f32_compute; each product converts A to bf16 into a scratch block and accumulates
/// in float32. Error: each bf16 input carries a relative rounding error of at most 2^-9 (docs/precision.md).
/// </summary>
internal sealed unsafe class Bf16Weights : ReducedPrecisionWeights
{
    private ushort* _packed;  // MKL's packed B
    private ushort* _a;       // (MaxM, Cols) the bf16 copy of A of the current product

    public Bf16Weights(string name, float* w, int rows, int cols, int ld, int maxM) : base(name, rows, cols, ld, maxM)
    {
        ushort* converted = (ushort*)NativeMemory.AlignedAlloc((nuint)rows * (nuint)cols * sizeof(ushort), 64);
        try
        {
            Status.ThrowIfFailed(NativeShim.F32ToBf16(rows, cols, w, ld, converted, cols), "mklrnn_f32_to_bf16");
            nuint bytes = Mkl.Bf16PackGetSize(Mkl.BMatrix, maxM, rows, cols);
            _packed = (ushort*)NativeMemory.AlignedAlloc(bytes, 64);
            Mkl.Bf16Pack(Mkl.BMatrix, Mkl.Trans, maxM, rows, cols, converted, cols, _packed);
        }
        finally
        {
            NativeMemory.AlignedFree(converted);
        }
        _a = (ushort*)NativeMemory.AlignedAlloc((nuint)maxM * (nuint)cols * sizeof(ushort), 64);
    }

    /// <summary>The bf16 A operand (MaxM, Cols), leading dimension Cols: a step kernel may write the next product's A here.</summary>
    public ushort* ConvertedInput => _a;

    public override void Multiply(int m, float* a, int lda, float beta, float* c, int ldc, int row0 = 0)
    {
        ObjectDisposedException.ThrowIf(_packed == null, this);
        CheckProduct(m, lda, beta, ldc, row0); // all of the product's arguments, before the conversion
        Convert(m, a, lda, row0);
        MultiplyConverted(m, beta, c, ldc, row0);
    }

    /// <summary>A (m, Cols) converted to bf16 into rows [row0, row0 + m) of <see cref="ConvertedInput"/>, for later products.</summary>
    public void Convert(int m, float* a, int lda, int row0 = 0)
    {
        ObjectDisposedException.ThrowIf(_packed == null, this);
        CheckProduct(m, lda, 0f, Rows, row0);
        if (m == 0) return;
        Status.ThrowIfFailed(NativeShim.F32ToBf16(m, Cols, a, lda, _a + (long)row0 * Cols, Cols), "mklrnn_f32_to_bf16");
    }

    /// <summary>C (m, Rows) = A W^T + beta C with A already in bf16 in rows [row0, row0 + m) of <see cref="ConvertedInput"/>.</summary>
    public void MultiplyConverted(int m, float beta, float* c, int ldc, int row0 = 0)
    {
        ObjectDisposedException.ThrowIf(_packed == null, this);
        CheckProduct(m, Cols, beta, ldc, row0);
        if (m == 0) return;
        Mkl.Bf16Compute(Mkl.NoTrans, Mkl.Packed, m, Rows, Cols, 1f, _a + (long)row0 * Cols, Cols, _packed, Cols, beta, c, ldc);
    }

    public override void Dispose()
    {
        if (_packed == null) return;
        NativeMemory.AlignedFree(_packed);
        NativeMemory.AlignedFree(_a);
        _packed = null;
        _a = null;
    }
}
