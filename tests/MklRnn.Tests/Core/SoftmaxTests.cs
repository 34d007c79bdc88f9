using MklRnn.Core;

namespace MklRnn.Tests.Core;

/// <summary>The one softmax against float64 plain loops, on rows of every length 1..40, with logits far beyond exp's range.</summary>
public class SoftmaxTests
{
    public static TheoryData<int, float> Rows()
    {
        var data = new TheoryData<int, float>();
        foreach (int length in new[] { 1, 2, 3, 7, 16, 17, 40 })
            foreach (float scale in new[] { 1f, 30f, 1000f }) // 1000: exp overflows float and double unless shifted
                data.Add(length, scale);
        return data;
    }

    [Theory]
    [MemberData(nameof(Rows))]
    public void SoftmaxLogSoftmaxAndLogSumExpMatchFloat64(int length, float scale)
    {
        float[] z = Logits(length, scale, seed: length);
        double[] log = ReferenceLogSoftmax(z, temperature: 1);

        Assert.Equal(ReferenceLogSumExp(z, temperature: 1), Softmax.LogSumExp(z), Tolerance(scale));
        float[] probabilities = (float[])z.Clone();
        Softmax.InPlace(probabilities);
        float[] logProbabilities = (float[])z.Clone();
        Softmax.LogInPlace(logProbabilities);
        for (int j = 0; j < length; j++)
        {
            Assert.Equal(Math.Exp(log[j]), probabilities[j], 1e-6);
            Assert.Equal(log[j], logProbabilities[j], Tolerance(scale));
        }
        Assert.Equal(1.0, probabilities.Sum(p => (double)p), 1e-5);
    }

    [Theory]
    [MemberData(nameof(Rows))]
    public void ExpShiftedIsTheTemperedSoftmaxBeforeNormalisation(int length, float scale)
    {
        float[] z = Logits(length, scale, seed: 100 + length);
        foreach (double temperature in new[] { 0.05, 0.7, 1.0, 4.0 })
        {
            var e = new double[length];
            double sum = Softmax.ExpShifted(z, temperature, e);
            double[] log = ReferenceLogSoftmax(z, temperature);
            Assert.Equal(e.Sum(), sum, 1e-12);
            Assert.Equal(1.0, e.Max());                                              // the largest logit's weight
            for (int j = 0; j < length; j++)
                Assert.Equal(Math.Exp(log[j]), e[j] / sum, 1e-6);
        }
    }

    private static float[] Logits(int length, float scale, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, length).Select(_ => (float)(random.NextDouble() * 2 - 1) * scale).ToArray();
    }

    /// <summary>Absolute tolerance on log values: float logits of magnitude scale carry about scale * 1e-7 of rounding.</summary>
    private static double Tolerance(float scale) => Math.Max(1e-5, scale * 1e-6);

    private static double ReferenceLogSumExp(float[] z, double temperature)
    {
        double max = z.Max(v => (double)v) / temperature, sum = 0;
        foreach (float v in z) sum += Math.Exp(v / temperature - max);
        return max + Math.Log(sum);
    }

    private static double[] ReferenceLogSoftmax(float[] z, double temperature)
    {
        double logSumExp = ReferenceLogSumExp(z, temperature);
        return z.Select(v => v / temperature - logSumExp).ToArray();
    }
}
