using MklRnn.Core;
using MklRnn.Layers;
using Xunit.Abstractions;
using P = MklRnn.Precision;

namespace MklRnn.Tests.Precision;

/// <summary>
/// bf16 and int8 inference of every cell kind against the float32 forward of the same stack (itself checked
/// against PyTorch by the conformance cases), within a tolerance derived from the rounding of each GEMM input.
///
/// Per GEMM c_j = sum_k a_k w_jk, with |a_k| <= A, S_j = sum_k |w_jk| and Q_j = sum_k w_jk^2:
///   bf16: both inputs are rounded to 8 significant bits, each with relative error <= u = 2^-9, so
///         |c_j' - c_j| <= (2u + u^2) A S_j (float32 accumulation adds ~K 2^-24, negligible).
///   int8: a is rounded to the u8 grid (error <= s_a / 2, s_a = range / qmax <= 2A / qmax) and w_jk to its
///         channel's grid (error <= s_j / 2, s_j = max_k |w_jk| / 127), so
///         |c_j' - c_j| <= s_a / 2 S_j + s_j / 2 K A + s_a s_j K / 4.
/// A step's gate functions have slopes <= 1 (sigmoid 1/4, tanh 1, relu 1), and h and c combine at most two
/// such terms, so a step adds at most 2 (e_ih + e_hh) to its state (first order): for ONE step this
/// worst-case bound is rigorous, and it is what <see cref="OneStepIsWithinTheWorstCaseBound"/> allows.
/// The worst case assumes every rounding of the K terms has the same sign, ~sqrt(K) times looser than what
/// happens; the multi-step tests use the statistical bound instead: the roundings are independent and uniform
/// (variance step^2 / 12 each), so c_j's error has standard deviation
///   bf16: sigma_j = A u sqrt(2 Q_j / 3);   int8: sigma_j = sqrt((Q_j s_a^2 + K A^2 s_j^2) / 12),
/// and the test allows 6 sigma per GEMM and step, the T L steps' independent errors adding as a random walk
/// (sqrt(T L)); the recurrence is not assumed to damp them. Measured errors sit roughly 10-300x below these
/// tolerances (docs/precision.md). Every test also requires a nonzero difference: the reduced path really ran.
/// </summary>
public class ReducedPrecisionStackTests(ITestOutputHelper log)
{
    public static TheoryData<string, P> Cases()
    {
        var data = new TheoryData<string, P>();
        foreach (string name in Configs.Keys)
            foreach (P p in new[] { P.BFloat16, P.Int8 })
                data.Add(name, p);
        return data;
    }

    // The conformance cases' cell kinds and shapes (small, odd I and H, 2 layers, both directions).
    private static readonly Dictionary<string, RnnConfig> Configs = new()
    {
        ["rnn_tanh_bi_2l"] = new RnnConfig(CellKind.RnnTanh, 10, 13, numLayers: 2, bidirectional: true),
        ["rnn_relu"] = new RnnConfig(CellKind.RnnRelu, 10, 16),
        ["lstm_2l"] = new RnnConfig(CellKind.Lstm, 10, 16, numLayers: 2),
        ["lstm_peep_bi"] = new RnnConfig(CellKind.Lstm, 7, 12, bidirectional: true) { Peephole = true },
        ["lstm_proj_bi"] = new RnnConfig(CellKind.Lstm, 10, 16, bidirectional: true) { ProjSize = 9 },
        ["gru_bi_2l"] = new RnnConfig(CellKind.Gru, 10, 16, numLayers: 2, bidirectional: true),
        ["gru_lbr0_2l"] = new RnnConfig(CellKind.Gru, 10, 15, numLayers: 2) { LinearBeforeReset = false },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void OutputsStayWithinTheStatisticalBound(string name, P precision) =>
        Compare(Configs[name], precision, T: 6, N: 5, lengths: [6, 3, 5, 6, 1], statistical: true);

    /// <summary>From ReducedPrecisionCell.StepProductsMinRows rows a step, each step makes its rows' input product.</summary>
    [Theory]
    [MemberData(nameof(Cases))]
    public void StepProductsStayWithinTheStatisticalBound(string name, P precision) =>
        Compare(Configs[name], precision, T: 6, N: 10, lengths: [6, 3, 5, 6, 1, 2, 6, 4, 5, 6], statistical: true);

    [Theory]
    [MemberData(nameof(Cases))]
    public void OneStepIsWithinTheWorstCaseBound(string name, P precision) =>
        Compare(Configs[name] with { NumLayers = 1 }, precision, T: 1, N: 4, lengths: [], statistical: false);

    /// <summary>The S1 widths (I = H = 512) at a small T: K = 512 sums stress the bf16 and int8 accumulation.</summary>
    [Theory]
    [InlineData(P.BFloat16)]
    [InlineData(P.Int8)]
    public void WideLstmStaysWithinTheStatisticalBound(P precision) =>
        Compare(new RnnConfig(CellKind.Lstm, 512, 512), precision, T: 4, N: 8, lengths: [], statistical: true);

    [Fact]
    public void TrainingAndSteppingRefuseReducedPrecision()
    {
        using var stack = new RecurrentStack(new RnnConfig(CellKind.Gru, 3, 4), seed: 1);
        stack.PrepareInference(P.Int8);
        var x = new float[2 * 3];
        var y = new float[2 * 4];
        var e = Assert.Throws<InvalidOperationException>(() => stack.Forward(x, 2, 1, y, training: true));
        Assert.Contains("PrepareInference(Precision.Float32)", e.Message);
        Assert.Throws<InvalidOperationException>(() => stack.BeginSteps(1, 2, training: true));
        stack.PrepareInference(P.Float32);
        stack.Forward(x, 2, 1, y, training: true); // float32 again: allowed
        Assert.Throws<ArgumentOutOfRangeException>(() => stack.PrepareInference((P)7));
    }

    /// <summary>
    /// Stepped inference (sampling, decoding) runs the same reduced GEMMs: bf16 steps equal the bf16 whole-sequence
    /// forward (bf16 rounding is element-wise), int8 steps (each step's input quantized on its own range) stay
    /// within the statistical bound of the float32 steps.
    /// </summary>
    [Theory]
    [InlineData(P.BFloat16, CellKind.Lstm)]
    [InlineData(P.Int8, CellKind.Lstm)]
    [InlineData(P.Int8, CellKind.Gru)]
    [InlineData(P.BFloat16, CellKind.Lstm, 12)] // the whole-sequence forward makes each step's input product in the step
    [InlineData(P.BFloat16, CellKind.Gru, 12)]
    [InlineData(P.BFloat16, CellKind.RnnTanh, 3)] // chained RNN and GRU steps take h's bf16 copy from the step kernel
    [InlineData(P.BFloat16, CellKind.Gru, 3)]
    public void SteppedInferenceUsesThePrecision(P precision, CellKind cell, int N = 3)
    {
        var config = new RnnConfig(cell, 6, 10, numLayers: 2);
        const int T = 5;
        float[] x = Uniform(new Random(9), T * N * 6, 1f);
        float[] Run(P p, bool stepped)
        {
            using var stack = new RecurrentStack(config, seed: 4);
            stack.PrepareInference(p);
            var y = new float[T * N * 10];
            if (!stepped)
            {
                stack.Forward(x, T, N, y);
                return y;
            }
            stack.BeginSteps(N, T);
            for (int t = 0; t < T; t++) stack.Step(x.AsSpan(t * N * 6, N * 6), y.AsSpan(t * N * 10, N * 10));
            return y;
        }
        float[] f32 = Run(P.Float32, stepped: true), reduced = Run(precision, stepped: true), whole = Run(precision, stepped: false);
        Assert.True(MaxAbsDiff(f32, reduced) > 0, "stepping ignored the precision");
        if (precision == P.BFloat16)
            Assert.True(MaxAbsDiff(whole, reduced) < 1e-5, $"bf16 steps vs whole sequence: {MaxAbsDiff(whole, reduced)}");
        using var weights = new RecurrentStack(config, seed: 4);
        double tol = 2.0 * Math.Sqrt(T * 2) * StepBound(weights, precision, 1f, statistical: true);
        Assert.True(MaxAbsDiff(f32, reduced) <= tol, $"{precision} steps vs float32 steps: {MaxAbsDiff(f32, reduced):g3} > {tol:g3}");
    }

    /// <summary>
    /// One stack through calls whose batch moves across the per-step-products bound (ReducedPrecisionCell.StepProductsMinRows)
    /// and whose length grows and shrinks: its buffers are resized for each (gate rows and int8 accumulator rows follow
    /// the choice), and every call equals the same call on a fresh stack, bit for bit.
    /// </summary>
    [Theory]
    [InlineData(P.BFloat16)]
    [InlineData(P.Int8)]
    public void CallsOfChangingShapeEqualFreshStacks(P precision)
    {
        var config = new RnnConfig(CellKind.Lstm, 6, 10, numLayers: 2);
        using var reused = new RecurrentStack(config, seed: 8) { UseSideThread = false };
        reused.PrepareInference(precision);
        foreach (var (T, N) in new[] { (5, 16), (9, 3), (4, 20), (12, 2), (7, 12) })
        {
            float[] x = Uniform(new Random(T * 100 + N), T * N * 6, 1f);
            var y = new float[T * N * 10];
            var expected = new float[y.Length];
            reused.Forward(x, T, N, y);
            using var fresh = new RecurrentStack(config, seed: 8) { UseSideThread = false };
            fresh.PrepareInference(precision);
            fresh.Forward(x, T, N, expected);
            Assert.True(expected.AsSpan().SequenceEqual(y), $"{precision} T={T} N={N}: the reused stack differs from a fresh one");
        }
    }

    /// <summary>Like the float32 engine, a steady-state reduced-precision Forward allocates no managed memory.</summary>
    [Theory]
    [InlineData(P.BFloat16)]
    [InlineData(P.Int8)]
    public void SteadyStateForwardAllocatesNothing(P precision)
    {
        using var stack = new RecurrentStack(new RnnConfig(CellKind.Lstm, 6, 8), seed: 2) { UseSideThread = false };
        stack.PrepareInference(precision);
        float[] x = Uniform(new Random(1), 4 * 3 * 6, 1f);
        var y = new float[4 * 3 * 8];
        stack.Forward(x, 4, 3, y); // builds the reduced weights
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 3; i++) stack.Forward(x, 4, 3, y);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    /// <summary>Changing a weight after PrepareInference re-quantizes it at the next Forward (no stale copy).</summary>
    [Fact]
    public void WeightChangesAreSeen()
    {
        var config = new RnnConfig(CellKind.Lstm, 5, 8);
        using var stack = new RecurrentStack(config, seed: 3);
        stack.PrepareInference(P.Int8);
        var rng = new Random(5);
        float[] x = Uniform(rng, 3 * 2 * 5, 1f);
        var before = new float[3 * 2 * 8];
        var after = new float[before.Length];
        stack.Forward(x, 3, 2, before);
        stack["weight_hh_l0"].Data.Clear();
        stack.Forward(x, 3, 2, after);
        using var reference = new RecurrentStack(config, seed: 3);
        reference["weight_hh_l0"].Data.Clear();
        var expected = new float[before.Length];
        reference.Forward(x, 3, 2, expected);
        Assert.True(MaxAbsDiff(before, after) > 1e-3, "the output did not change with W_hh");
        Assert.True(MaxAbsDiff(expected, after) < 0.02, $"after the change: {MaxAbsDiff(expected, after)} from float32");
    }

    /// <summary>Asserts the bound; the measured differences go to the test log (docs/precision.md's table).</summary>
    private void Compare(RnnConfig config, P precision, int T, int N, int[] lengths, bool statistical)
    {
        using var stack = new RecurrentStack(config, seed: 11);
        var rng = new Random(42);
        int S = config.NumLayers * config.Directions, Hout = config.OutputHiddenSize, H = config.HiddenSize;
        float[] x = Uniform(rng, T * N * config.InputSize, 1f);
        float[] h0 = Uniform(rng, S * N * Hout, 0.5f);
        float[] c0 = config.Cell == CellKind.Lstm ? Uniform(rng, S * N * H, 0.5f) : [];
        float[] cN32 = new float[c0.Length], cN = new float[c0.Length];
        float[] y32 = new float[T * N * config.OutputSize], y = new float[y32.Length];
        float[] hN32 = new float[h0.Length], hN = new float[h0.Length];

        stack.Forward(x, T, N, y32, h0, c0, hN32, cN32, lengths);
        stack.PrepareInference(precision);
        Assert.Equal(precision, stack.Precision);
        stack.Forward(x, T, N, y, h0, c0, hN, cN, lengths);

        float a = new[] { x, h0, c0, y32, hN32 }.SelectMany(v => v).Select(Math.Abs).Append(1f).Max();
        // Worst case: the per-step errors add up (T L of them); statistically, independent per-step errors add as a random walk.
        int steps = T * config.NumLayers;
        double tol = 2.0 * (statistical ? Math.Sqrt(steps) : steps) * StepBound(stack, precision, a, statistical);
        double dy = MaxAbsDiff(y32, y), dh = MaxAbsDiff(hN32, hN), dc = MaxAbsDiff(cN32, cN);
        string report = $"{precision}: max |dy| = {dy:g3}, |dhN| = {dh:g3}, |dcN| = {dc:g3}, tolerance {tol:g3}";
        log.WriteLine($"{config.Cell} I={config.InputSize} H={config.HiddenSize} L={config.NumLayers} D={config.Directions} T={T} {report}");
        Assert.True(dy <= tol && dh <= tol && dc <= tol, report);
        Assert.True(dy > 0, $"no difference from float32 at all: the reduced path did not run ({report})");
    }

    /// <summary>The largest per-step error of one layer direction: the sum over its GEMMs (W_ih, W_hh, W_hr).</summary>
    private static double StepBound(RecurrentStack stack, P precision, float a, bool statistical) =>
        stack.Parameters
            .Where(p => p.Name.StartsWith("weight_") && !p.Name.Contains("peephole"))
            .GroupBy(p => p.Name[(p.Name.IndexOf("_l", StringComparison.Ordinal))..]) // "_l0", "_l0_reverse", ...
            .Max(g => g.Sum(w => GemmBound(w, precision, a, statistical)));

    private static double GemmBound(Parameter w, P precision, float a, bool statistical)
    {
        int rows = w.Shape[0], k = w.Shape[1];
        double u = Math.Pow(2, -9), sa = 2.0 * a / Int8Weights.ActivationMax, worst = 0;
        for (int j = 0; j < rows; j++)
        {
            double s = 0, q = 0, m = 0;
            foreach (float v in w.Values.Slice(j * k, k))
            {
                s += Math.Abs(v);
                q += (double)v * v;
                m = Math.Max(m, Math.Abs(v));
            }
            double sw = m / 127;
            double e = precision == P.BFloat16
                ? statistical ? 6 * a * u * Math.Sqrt(2 * q / 3) : (2 * u + u * u) * a * s
                : statistical ? 6 * Math.Sqrt((q * sa * sa + k * a * a * sw * sw) / 12) : sa / 2 * s + sw / 2 * k * a + sa * sw * k / 4;
            worst = Math.Max(worst, e);
        }
        return worst;
    }

    private static float[] Uniform(Random rng, int count, float scale) =>
        Enumerable.Range(0, count).Select(_ => (float)(rng.NextDouble() * 2 - 1) * scale).ToArray();

    private static double MaxAbsDiff(float[] a, float[] b) =>
        a.Length == 0 ? 0 : a.Zip(b, (u, v) => Math.Abs((double)u - v)).Max();
}
