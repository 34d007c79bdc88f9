using MklRnn.Core;

namespace MklRnn.Tests.Precision;

/// <summary>
/// The reduced-precision GEMM units on inputs where the result is known exactly: integers that bf16 and
/// the int8/u8 grids represent without rounding, so any error in packing, quantization parameters or the
/// zero-point compensation shows as a wrong integer.
/// </summary>
public unsafe class ReducedPrecisionWeightsTests
{
    /// <summary>
    /// Int8: weights are integers in [-127, 127] with 127 or -127 in every row (so each channel scale is exactly 1),
    /// activations integers spanning the whole u8 grid with a negative minimum (scale exactly 1, zero point > 0).
    /// Then C must equal sum_k a_k w_jk exactly, which only holds if acc - zp * colsum is right.
    /// </summary>
    [Theory]
    [InlineData(1, 5, 3, 0f)]
    [InlineData(7, 37, 67, 0f)]
    [InlineData(16, 64, 130, 1f)]
    public void Int8ProductIsExactOnIntegerGrids(int m, int rows, int cols, float beta)
    {
        var rng = new Random(42);
        int qmax = Int8Weights.ActivationMax, zero = (qmax + 1) / 2; // codes 0..qmax represent zero - zp .. qmax - zp
        float[] w = IntegerMatrix(rng, rows, cols, -127, 127);
        for (int j = 0; j < rows; j++) w[j * cols + rng.Next(cols)] = rng.Next(2) == 0 ? 127 : -127;
        float[] a = IntegerMatrix(rng, m, cols, -zero, qmax - zero);
        a[0] = -zero;
        a[a.Length - 1] = qmax - zero; // the range is [-zero, qmax - zero]: scale 1, zero point `zero`
        float[] c = Enumerable.Range(0, m * rows).Select(i => (float)(i % 5)).ToArray();
        float[] expected = Reference(a, w, m, rows, cols, beta == 1f ? c : null);

        fixed (float* pw = w, pa = a, pc = c)
        {
            using var weights = new Int8Weights("w", pw, rows, cols, cols, m);
            weights.Multiply(m, pa, cols, beta, pc, rows);
            ActivationQuantization q = weights.MultiplyInt32(m, pa, cols);
            Assert.Equal(1f, q.Scale);
            Assert.Equal(zero, q.ZeroPoint);
        }
        AssertExact(expected, c);
    }

    /// <summary>bf16: small integers are exact in bf16 (8 significant bits), and their sums are exact in the float32 accumulator.</summary>
    [Theory]
    [InlineData(1, 3, 5, 0f)]
    [InlineData(9, 33, 100, 1f)]
    public void Bf16ProductIsExactOnSmallIntegers(int m, int rows, int cols, float beta)
    {
        var rng = new Random(7);
        float[] w = IntegerMatrix(rng, rows, cols, -255, 255);
        float[] a = IntegerMatrix(rng, m, cols, -255, 255);
        float[] c = Enumerable.Range(0, m * rows).Select(i => (float)(i % 3)).ToArray();
        float[] expected = Reference(a, w, m, rows, cols, beta == 1f ? c : null);
        fixed (float* pw = w, pa = a, pc = c)
        {
            using var weights = new Bf16Weights("w", pw, rows, cols, cols, m);
            weights.Multiply(m, pa, cols, beta, pc, rows);
        }
        AssertExact(expected, c);
    }

    /// <summary>bf16 of a value that is not representable: the product sees the rounded value (ties to even), not a truncation.</summary>
    [Fact]
    public void Bf16RoundsToNearestEven()
    {
        // 1 + 2^-8 is a tie between 1 and 1 + 2^-7: even gives 1. 1 + 3 * 2^-8 ties to 1 + 2^-6 (even), truncation would give 1 + 2^-7.
        float[] w = [1f];
        float[] a = [1f + 1f / 256, 1f + 3f / 256, 1f + 1f / 256 + 1f / 65536];
        float[] c = new float[3];
        fixed (float* pw = w, pa = a, pc = c)
        {
            using var weights = new Bf16Weights("w", pw, 1, 1, 1, 3);
            weights.Multiply(3, pa, 1, 0f, pc, 1);
        }
        Assert.Equal([1f, 1f + 4f / 256, 1f + 2f / 256], c);
    }

    [Fact]
    public void BadArgumentsAreRefusedBeforeMkl()
    {
        float[] w = new float[12];
        Assert.Throws<ArgumentOutOfRangeException>(() => Build(w, 3, 4, 3, 2, int8: true));   // ld < cols
        Assert.Throws<ArgumentOutOfRangeException>(() => Build(w, 0, 4, 4, 2, int8: false));  // no rows
        using (ReducedPrecisionWeights weights = Build(w, 3, 4, 4, 2, int8: true))
        {
            var c = new float[9];
            var e = Assert.Throws<ArgumentOutOfRangeException>(() => Multiply(weights, 3, w, 4, 0f, c, 3)); // m > MaxM
            Assert.Contains("packed for 2 rows", e.Message);
            Assert.Throws<ArgumentOutOfRangeException>(() => Multiply(weights, 2, w, 3, 0f, c, 3));   // lda < cols
            Assert.Throws<ArgumentOutOfRangeException>(() => Multiply(weights, 2, w, 4, 0.5f, c, 3)); // beta
            Multiply(weights, 0, w, 4, 0f, c, 3); // no rows: nothing happens, nothing is thrown
        }
        w[5] = float.NaN;
        var nan = Assert.Throws<ArgumentException>(() => Build(w, 3, 4, 4, 2, int8: true, name: "weight_hh_l0"));
        Assert.Contains("weight_hh_l0 row 1", nan.Message);
    }

    /// <summary>
    /// An int8 accumulator of fewer rows than A (products per step: each writes a step's rows from a long A): codes of
    /// any of MaxM rows go to the accumulator rows asked for, the same integers as a whole product; rows beyond the
    /// accumulator are refused before MKL; reserving grows it.
    /// </summary>
    [Fact]
    public void Int8AccumulatorRowsAreApartFromTheOperandRows()
    {
        const int m = 6, rows = 5, cols = 7;
        var rng = new Random(3);
        float[] w = IntegerMatrix(rng, rows, cols, -127, 127);
        float[] a = IntegerMatrix(rng, m, cols, -100, 100);
        fixed (float* pw = w, pa = a)
        {
            using var whole = new Int8Weights("w", pw, rows, cols, cols, m);
            using var stepwise = new Int8Weights("w", pw, rows, cols, cols, m, accumulatorRows: 2);
            Assert.Equal(2, stepwise.AccumulatorRows);
            whole.MultiplyInt32(m, pa, cols);
            ActivationQuantization q = stepwise.Quantize(m, pa, cols);
            Assert.Equal(whole.RangeOf(m, pa, cols), q);
            for (int row = 0; row < m; row += 2)
            {
                stepwise.MultiplyQuantized(2, row, accRow0: 0);
                for (int r = 0; r < 2; r++)
                    for (int j = 0; j < rows; j++)
                        Assert.Equal(whole.Accumulator[(row + r) * whole.AccumulatorStride + j], stepwise.Accumulator[r * stepwise.AccumulatorStride + j]);
            }
            var e = Assert.Throws<ArgumentOutOfRangeException>(() => stepwise.MultiplyQuantized(2, 0, accRow0: 1));
            Assert.Contains("accumulator rows [1, 3) outside [0, 2]", e.Message);
            stepwise.ReserveAccumulatorRows(3);
            stepwise.MultiplyQuantized(2, 0, accRow0: 1);
            Assert.Equal(3, stepwise.AccumulatorRows);
            Assert.Throws<ArgumentOutOfRangeException>(() => stepwise.ReserveAccumulatorRows(m + 1));
        }
    }

    [Fact]
    public void NonFiniteActivationsAreReportedNotQuantized()
    {
        using ReducedPrecisionWeights weights = Build([1f, 2f], 1, 2, 2, 1, int8: true, name: "weight_ih_l0");
        var e = Assert.Throws<InvalidOperationException>(() => Multiply(weights, 1, [1f, float.PositiveInfinity], 2, 0f, new float[1], 1));
        Assert.Contains("weight_ih_l0", e.Message);
    }

    /// <summary>The activation range always holds 0 (exactly representable), and the codes span [0, qmax].</summary>
    [Theory]
    [InlineData(-1f, 3f, 255, 4f / 255, 64)]    // zero point 63.75 rounds to 64
    [InlineData(0.5f, 3f, 255, 3f / 255, 0)]    // all positive: widened down to 0
    [InlineData(-4f, -1f, 127, 4f / 127, 127)]  // all negative: widened up to 0
    [InlineData(0f, 0f, 255, 1f, 0)]            // all zero
    public void ActivationRangeContainsZero(float min, float max, int qmax, float scale, int zero)
    {
        ActivationQuantization q = ActivationQuantization.ForRange(min, max, qmax, "w");
        Assert.Equal(scale, q.Scale, 6);
        Assert.Equal(zero, q.ZeroPoint);
        Assert.Equal(qmax, q.Max);
        Assert.Throws<InvalidOperationException>(() => ActivationQuantization.ForRange(float.NegativeInfinity, 1f, qmax, "w"));
    }

    private static ReducedPrecisionWeights Build(float[] w, int rows, int cols, int ld, int maxM, bool int8, string name = "w")
    {
        fixed (float* pw = w)
            return int8 ? new Int8Weights(name, pw, rows, cols, ld, maxM) : new Bf16Weights(name, pw, rows, cols, ld, maxM);
    }

    private static void Multiply(ReducedPrecisionWeights weights, int m, float[] a, int lda, float beta, float[] c, int ldc)
    {
        fixed (float* pa = a, pc = c)
            weights.Multiply(m, pa, lda, beta, pc, ldc);
    }

    private static float[] IntegerMatrix(Random rng, int rows, int cols, int lo, int hi) =>
        Enumerable.Range(0, rows * cols).Select(_ => (float)rng.Next(lo, hi + 1)).ToArray();

    /// <summary>C = A W^T (+ C) in exact integer arithmetic.</summary>
    private static float[] Reference(float[] a, float[] w, int m, int rows, int cols, float[]? add)
    {
        var c = new float[m * rows];
        for (int r = 0; r < m; r++)
            for (int j = 0; j < rows; j++)
            {
                long s = 0;
                for (int k = 0; k < cols; k++) s += (long)a[r * cols + k] * (long)w[j * cols + k];
                c[r * rows + j] = s + (add?[r * rows + j] ?? 0f);
            }
        return c;
    }

    private static void AssertExact(float[] expected, float[] actual)
    {
        for (int i = 0; i < expected.Length; i++)
            if (expected[i] != actual[i])
                Assert.Fail($"element {i}: expected {expected[i]}, got {actual[i]} (of {expected.Length})");
    }
}
