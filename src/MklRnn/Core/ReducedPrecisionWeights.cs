namespace MklRnn.Core;

/// <summary>
/// A weight matrix W (Rows, Cols), row-major as PyTorch stores it, converted once to a reduced precision
/// and packed by MKL as the B operand of C = A W^T. <see cref="Multiply"/> takes a float32 A and converts
/// it per call (bf16 rounding, or u8 quantization), so a caller swaps it in for <see cref="PackedWeights"/>
/// without changing its buffers. Sized for A operands of up to MaxM rows; not thread-safe (per-call scratch).
/// </summary>
internal abstract unsafe class ReducedPrecisionWeights : IDisposable
{
    protected ReducedPrecisionWeights(string name, int rows, int cols, int ld, int maxM)
    {
        if (rows < 1 || cols < 1) throw new ArgumentOutOfRangeException(nameof(rows), $"{name}: a ({rows} x {cols}) weight cannot be packed");
        if (ld < cols) throw new ArgumentOutOfRangeException(nameof(ld), $"{name}: leading dimension {ld} < {cols} columns");
        if (maxM < 1) throw new ArgumentOutOfRangeException(nameof(maxM), $"{name}: maxM = {maxM}, expected >= 1");
        Name = name;
        Rows = rows;
        Cols = cols;
        MaxM = maxM;
    }

    /// <summary>The weights at precision; int8's int32 result has accumulatorRows rows (default maxM; Int8Weights).</summary>
    public static ReducedPrecisionWeights Create(Precision precision, string name, float* w, int rows, int cols, int ld, int maxM,
        int accumulatorRows = -1) =>
        precision switch
        {
            Precision.BFloat16 => new Bf16Weights(name, w, rows, cols, ld, maxM),
            Precision.Int8 => new Int8Weights(name, w, rows, cols, ld, maxM, accumulatorRows),
            _ => throw new ArgumentOutOfRangeException(nameof(precision), precision, "only BFloat16 and Int8 have reduced-precision weights"),
        };

    /// <summary>The parameter this was made from (for messages).</summary>
    public string Name { get; }

    /// <summary>Output width of C (W's rows).</summary>
    public int Rows { get; }

    /// <summary>Inner size (W's columns, A's columns).</summary>
    public int Cols { get; }

    public int MaxM { get; }

    /// <summary>
    /// C (m, Rows) = A (m, Cols) W^T + beta C, beta 0 (overwrite) or 1 (accumulate). The per-call scratch (A's
    /// reduced copy, int8's accumulator) is rows [row0, row0 + m) of the MaxM rows, so two threads may multiply at
    /// once on disjoint row ranges (the batch split).
    /// </summary>
    public abstract void Multiply(int m, float* a, int lda, float beta, float* c, int ldc, int row0 = 0);

    /// <summary>The checks every product makes before MKL sees its arguments.</summary>
    protected void CheckProduct(int m, int lda, float beta, int ldc, int row0 = 0)
    {
        if ((uint)m > (uint)MaxM) throw new ArgumentOutOfRangeException(nameof(m), $"{Name}: m = {m} outside [0, {MaxM}] (packed for {MaxM} rows)");
        if (row0 < 0 || (long)row0 + m > MaxM) throw new ArgumentOutOfRangeException(nameof(row0), $"{Name}: rows [{row0}, {(long)row0 + m}) outside [0, {MaxM}]");
        if (lda < Cols) throw new ArgumentOutOfRangeException(nameof(lda), $"{Name}: lda = {lda} < {Cols}");
        if (ldc < Rows) throw new ArgumentOutOfRangeException(nameof(ldc), $"{Name}: ldc = {ldc} < {Rows}");
        if (beta != 0f && beta != 1f) throw new ArgumentOutOfRangeException(nameof(beta), beta, "beta must be 0 or 1");
    }

    public abstract void Dispose();
}
