using System.Runtime.InteropServices;
using MklRnn.Interop;

namespace MklRnn.Core;

/// <summary>
/// W quantized once to int8, symmetric per output channel (row j of W: scale_j = max_k |W[j, k]| / 127,
/// q = round(W / scale_j), ties to even), packed for cblas_gemm_s8u8s32_compute, with the column sums
/// sum_k q[j, k] of the B operand W_q^T that the zero-point compensation needs. A product quantizes its
/// float32 A to u8 (<see cref="ActivationQuantization"/>: per tensor, per call), runs the int32 GEMM and
/// dequantizes: C = (acc - zp * colsum) * (a_scale * w_scale) (+ C), in the shim.
/// </summary>
internal sealed unsafe class Int8Weights : ReducedPrecisionWeights
{
    /// <summary>K bound: |acc| &lt;= 255 * 127 * K and |zp * colsum| &lt;= 255 * 127 * K must stay below 2^31.</summary>
    public const int MaxCols = int.MaxValue / (255 * 127);

    private void* _packed;  // MKL's packed B (s8)
    private float* _scale;  // (Rows) per-output-channel weight scales
    private int* _colSum;   // (Rows) sum over k of the int8 weights of each output channel
    private byte* _a;       // (MaxM, Cols) the u8 A of the current product
    private int* _acc;      // (AccumulatorRows, AccumulatorStride) the int32 result of the current product

    /// <summary>accumulatorRows: the int32 result's rows (default maxM; fewer where each product writes only a few rows
    /// of a long A, <see cref="MultiplyQuantized"/>'s accRow0).</summary>
    public Int8Weights(string name, float* w, int rows, int cols, int ld, int maxM, int accumulatorRows = -1) : base(name, rows, cols, ld, maxM)
    {
        if (cols > MaxCols)
            throw new ArgumentOutOfRangeException(nameof(cols), $"{name}: {cols} input columns; int8 products are exact in int32 up to {MaxCols}");
        sbyte* q = (sbyte*)NativeMemory.AlignedAlloc((nuint)rows * (nuint)cols, 64);
        try
        {
            _scale = (float*)NativeMemory.AlignedAlloc((nuint)rows * sizeof(float), 64);
            _colSum = (int*)NativeMemory.AlignedAlloc((nuint)rows * sizeof(int), 64);
            for (int j = 0; j < rows; j++)
                QuantizeRow(new ReadOnlySpan<float>(w + (long)j * ld, cols), new Span<sbyte>(q + (long)j * cols, cols), j);
            nuint bytes = Mkl.S8U8PackGetSize(Mkl.BMatrix, maxM, rows, cols);
            _packed = NativeMemory.AlignedAlloc(bytes, 64);
            Mkl.S8U8Pack(Mkl.BMatrix, Mkl.Trans, maxM, rows, cols, q, cols, _packed);
        }
        finally
        {
            NativeMemory.AlignedFree(q);
        }
        _a = (byte*)NativeMemory.AlignedAlloc((nuint)maxM * (nuint)cols, 64);
        AccumulatorStride = SizeMath.PaddedLeadingDimension(rows, sizeof(int));
        ReserveAccumulatorRows(accumulatorRows < 0 ? maxM : accumulatorRows);
    }

    /// <summary>Per-output-channel weight scales (Rows).</summary>
    public float* Scales => _scale;

    /// <summary>Column sums of the int8 B operand (Rows): sum over k of q[j, k].</summary>
    public int* ColumnSums => _colSum;

    /// <summary>The int32 result of the last <see cref="MultiplyInt32"/> (m, Rows), leading dimension Rows.</summary>
    public int* Accumulator => _acc;

    /// <summary>The accumulator's leading dimension: Rows, padded (<see cref="SizeMath.PaddedLeadingDimension"/>).</summary>
    public int AccumulatorStride { get; }

    /// <summary>The accumulator's rows.</summary>
    public int AccumulatorRows { get; private set; }

    /// <summary>Grows the accumulator to at least rows rows (its contents are not kept). Not while a product runs.</summary>
    public void ReserveAccumulatorRows(int rows)
    {
        if (rows < 1 || rows > MaxM) throw new ArgumentOutOfRangeException(nameof(rows), $"{Name}: {rows} accumulator rows outside [1, {MaxM}]");
        if (rows <= AccumulatorRows) return;
        int* grown = (int*)NativeMemory.AlignedAlloc((nuint)rows * (nuint)AccumulatorStride * sizeof(int), 64);
        NativeMemory.AlignedFree(_acc);
        _acc = grown;
        AccumulatorRows = rows;
    }

    /// <summary>The u8 A operand (MaxM, Cols), leading dimension Cols: a step kernel may write the next product's codes here.</summary>
    public byte* QuantizedInput => _a;

    /// <summary>The largest u8 code activations use: 255, or 127 where MKL's kernel saturates u8 x s8 pair sums in int16.</summary>
    public static int ActivationMax => s_activationMax.Value;

    private static readonly Lazy<int> s_activationMax = new(ProbeActivationMax);

    /// <summary>
    /// acc (m, Rows) = q(A) W_q^T in int32, A quantized here; returns A's quantization. The caller
    /// dequantizes (mklrnn_dequantize_s32 or a fused *_forward_s32 step).
    /// </summary>
    /// <remarks>The codes and the result are rows [row0, row0 + m) of <see cref="QuantizedInput"/> and <see cref="Accumulator"/>.</remarks>
    public ActivationQuantization MultiplyInt32(int m, float* a, int lda, int row0 = 0)
    {
        ActivationQuantization quant = Quantize(m, a, lda, row0); // checks the arguments
        MultiplyQuantized(m, row0);
        return quant;
    }

    /// <summary>A (m, Cols) quantized on its own range into rows [row0, row0 + m) of <see cref="QuantizedInput"/>; returns the quantization.</summary>
    public ActivationQuantization Quantize(int m, float* a, int lda, int row0 = 0)
    {
        ObjectDisposedException.ThrowIf(_packed == null, this);
        CheckProduct(m, lda, 0f, Rows, row0);
        if (m == 0) return new ActivationQuantization(1f, 0, ActivationMax); // nothing to quantize
        ActivationQuantization quant = RangeOf(m, a, lda);
        QuantizeWith(quant, m, a, lda, row0);
        return quant;
    }

    /// <summary>The per-tensor quantization of A (m, Cols): its min/max range on the activation codes.</summary>
    public ActivationQuantization RangeOf(int m, float* a, int lda)
    {
        var (min, max) = MinMaxOf(m, a, lda);
        return ActivationQuantization.ForRange(min, max, ActivationMax, Name);
    }

    /// <summary>The smallest and largest value of A (m, Cols), NaN ignored (mklrnn_min_max).</summary>
    public (float Min, float Max) MinMaxOf(int m, float* a, int lda)
    {
        ObjectDisposedException.ThrowIf(_packed == null, this);
        CheckProduct(m, lda, 0f, Rows, 0);
        var minMax = stackalloc float[2];
        Status.ThrowIfFailed(NativeShim.MinMax(m, Cols, a, lda, minMax), "mklrnn_min_max");
        return (minMax[0], minMax[1]);
    }

    /// <summary>A (m, Cols) quantized with quant into rows [row0, row0 + m) of <see cref="QuantizedInput"/>.</summary>
    public void QuantizeWith(ActivationQuantization quant, int m, float* a, int lda, int row0 = 0)
    {
        ObjectDisposedException.ThrowIf(_packed == null, this);
        CheckProduct(m, lda, 0f, Rows, row0);
        Status.ThrowIfFailed(NativeShim.QuantizeU8(m, Cols, a, lda, quant.InverseScale, quant.ZeroPoint, quant.Max, _a + (long)row0 * Cols, Cols),
            "mklrnn_quantize_u8");
    }

    /// <summary>
    /// acc rows [accRow0, accRow0 + m) = A W_q^T in int32, A's codes already in rows [row0, row0 + m) of
    /// <see cref="QuantizedInput"/>; accRow0 defaults to row0.
    /// </summary>
    public void MultiplyQuantized(int m, int row0 = 0, int accRow0 = -1)
    {
        ObjectDisposedException.ThrowIf(_packed == null, this);
        if (accRow0 < 0) accRow0 = row0;
        CheckProduct(m, Cols, 0f, Rows, row0);
        if (accRow0 < 0 || (long)accRow0 + m > AccumulatorRows)
            throw new ArgumentOutOfRangeException(nameof(accRow0), $"{Name}: accumulator rows [{accRow0}, {(long)accRow0 + m}) outside [0, {AccumulatorRows}]");
        if (m == 0) return;
        Mkl.S8U8Compute(Mkl.NoTrans, Mkl.Packed, m, Rows, Cols, _a + (long)row0 * Cols, Cols, _packed, Cols,
            _acc + (long)accRow0 * AccumulatorStride, AccumulatorStride);
    }

    public override void Multiply(int m, float* a, int lda, float beta, float* c, int ldc, int row0 = 0)
    {
        CheckProduct(m, lda, beta, ldc, row0);
        if (m == 0) return;
        ActivationQuantization quant = MultiplyInt32(m, a, lda, row0);
        Status.ThrowIfFailed(NativeShim.DequantizeS32(m, Rows, _acc + (long)row0 * AccumulatorStride, AccumulatorStride, quant.Scale, quant.ZeroPoint, _scale, _colSum,
            beta == 1f ? 1 : 0, c, ldc), "mklrnn_dequantize_s32");
    }

    private void QuantizeRow(ReadOnlySpan<float> w, Span<sbyte> q, int j)
    {
        float maxAbs = 0f;
        foreach (float v in w)
        {
            if (!float.IsFinite(v)) throw new ArgumentException($"{Name} row {j} holds a non-finite weight ({v}); it cannot be quantized to int8");
            maxAbs = Math.Max(maxAbs, Math.Abs(v));
        }
        float scale = maxAbs > 0f ? maxAbs / 127f : 1f;
        int sum = 0;
        for (int k = 0; k < w.Length; k++)
        {
            int v = (int)Math.Clamp(Math.Round(w[k] / (double)scale, MidpointRounding.ToEven), -127, 127);
            q[k] = (sbyte)v;
            sum += v;
        }
        _scale[j] = scale;
        _colSum[j] = sum;
    }

    /// <summary>
    /// Without VNNI (AVX2, AVX-512 before Cascade Lake) MKL forms u8 x s8 products with VPMADDUBSW, which
    /// saturates the sum of two products in int16: 255 * 127 * 2 > 32767 (measured here: MKL_ENABLE_INSTRUCTIONS=AVX2
    /// gives 1048544 for a product worth 2072640). 7-bit activations (127 * 127 * 2 &lt; 32767) are exact on every
    /// kernel, at half the resolution, so one product of the worst case decides at first use.
    /// </summary>
    private static int ProbeActivationMax()
    {
        const int k = 64;
        byte* a = stackalloc byte[k];
        sbyte* b = stackalloc sbyte[k];
        for (int i = 0; i < k; i++)
        {
            a[i] = 255;
            b[i] = 127;
        }
        int c = 0;
        Mkl.S8U8Gemm(Mkl.NoTrans, Mkl.NoTrans, 1, 1, k, a, k, b, 1, &c, 1);
        return c == 255 * 127 * k ? 255 : 127;
    }

    public override void Dispose()
    {
        if (_packed == null) return;
        NativeMemory.AlignedFree(_packed);
        NativeMemory.AlignedFree(_scale);
        NativeMemory.AlignedFree(_colSum);
        NativeMemory.AlignedFree(_a);
        NativeMemory.AlignedFree(_acc);
        _packed = null;
    }
}
