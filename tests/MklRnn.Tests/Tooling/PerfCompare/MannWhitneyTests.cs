using MklRnn.Tooling.PerfCompare;

namespace MklRnn.Tests.Tooling.PerfCompare;

public class MannWhitneyTests
{
    [Fact]
    public void TextbookExample_ExactAndApproximate()
    {
        // SciPy's mannwhitneyu documentation example: U1 = 17; exact p = 0.1111..., asymptotic p = 0.11134688653314041.
        // By hand: the male ranks in the pooled sample are 3, 5, 7, 8, 9, so U1 = 32 - 15 = 17 and U2 = 3; of the
        // C(9, 4) = 126 orderings, 7 have U <= 3 (partitions of 0..3 into at most 4 parts of size <= 5), p = 14/126.
        double[] males = [19, 22, 16, 29, 24];
        double[] females = [20, 11, 17, 12];

        MannWhitneyResult r = MannWhitney.Test(males, females);
        Assert.Equal(17, r.U1);
        Assert.Equal(3, r.U2);
        Assert.Equal(MannWhitneyMethod.Exact, r.Method);
        Assert.Equal(14.0 / 126, r.PValue, 12);

        (double z, double p) = MannWhitney.NormalApproximation(5, 4, 17, 0);
        Assert.Equal(1.5921683328090657, z, 10);
        Assert.Equal(0.11134688653314041, p, 10);
    }

    [Fact]
    public void CompletelySeparatedSamples()
    {
        double[] low = [1, 2, 3, 4, 5], high = [6, 7, 8, 9, 10];
        MannWhitneyResult r = MannWhitney.Test(low, high);
        Assert.Equal(0, r.U1);
        Assert.Equal(25, r.U2);
        Assert.Equal(2.0 / 252, r.PValue, 12); // only the two extreme orderings of C(10, 5) are as extreme
        Assert.Equal(0.012185780355344818, MannWhitney.NormalApproximation(5, 5, 0, 0).P, 10);
    }

    [Fact]
    public void LargeSeparatedSamples_UseTheNormalApproximation()
    {
        double[] low = [.. Enumerable.Range(0, 30).Select(i => (double)i)];
        double[] high = [.. Enumerable.Range(100, 30).Select(i => (double)i)];
        MannWhitneyResult r = MannWhitney.Test(low, high);
        Assert.Equal(MannWhitneyMethod.NormalApproximation, r.Method); // 60 > ExactLimit
        Assert.Equal(0, r.U1);
        Assert.Equal(-6.64559922588161, r.Z, 9);
        Assert.Equal(3.019859359162151e-11, r.PValue, 3.019859359162151e-11 * 1e-9);
    }

    [Fact]
    public void Ties_UseMidRanksAndTheTieCorrection()
    {
        // Pairs x > y count 1, ties 1/2: x=1: 0; x=2, 2: 0.5 each; x=3: 1 + 0.5 + 0.5; x=5: 5. U1 = 8.
        // Tie groups: three 2s, three 3s, two 4s: sum(t^3 - t) = 24 + 24 + 6 = 54.
        // sigma^2 = 5*6/12 * (12 - 54/110) = 28.7727..., z = (15 - 8 - 0.5) / sigma = 1.21178, p = 0.22560.
        double[] x = [1, 2, 2, 3, 5], y = [2, 3, 3, 4, 4, 6];
        (double u1, double tieSum) = MannWhitney.RankStatistic(x, y);
        Assert.Equal(8, u1);
        Assert.Equal(54, tieSum);

        MannWhitneyResult r = MannWhitney.Test(x, y);
        Assert.Equal(MannWhitneyMethod.NormalApproximation, r.Method);
        Assert.Equal(-1.2117773819397384, r.Z, 10);
        Assert.Equal(0.22559760855754862, r.PValue, 10);
    }

    [Fact]
    public void IdenticalSamples_GiveP1()
    {
        double[] x = [3, 1, 4, 1, 5, 9, 2, 6];
        Assert.Equal(1, MannWhitney.Test(x, x).PValue, 12);
        double[] constant = [7, 7, 7, 7, 7, 7];
        Assert.Equal(1, MannWhitney.Test(constant, constant).PValue, 12);
    }

    [Fact]
    public void SwappingSamples_SwapsUAndKeepsP()
    {
        var random = new Random(7);
        double[] x = [.. Enumerable.Range(0, 12).Select(_ => random.NextDouble())];
        double[] y = [.. Enumerable.Range(0, 9).Select(_ => random.NextDouble() + 0.3)];
        MannWhitneyResult xy = MannWhitney.Test(x, y), yx = MannWhitney.Test(y, x);
        Assert.Equal(xy.U1, yx.U2);
        Assert.Equal(xy.U2, yx.U1);
        Assert.Equal(xy.PValue, yx.PValue, 12);
    }

    [Fact]
    public void EmptySample_GivesNaN() =>
        Assert.True(double.IsNaN(MannWhitney.Test([], [1.0, 2.0]).PValue));

    [Theory]
    [InlineData(1, 1)]
    [InlineData(3, 4)]
    [InlineData(5, 5)]
    [InlineData(6, 3)]
    public void ExactDistribution_MatchesEnumerationOfAllOrderings(int n1, int n2)
    {
        // Brute force: every choice of which n1 of the ranks 0..n-1 belong to x; U1 = sum of x ranks - n1(n1-1)/2.
        int n = n1 + n2;
        var expected = new double[n1 * n2 + 1];
        for (int mask = 0; mask < 1 << n; mask++)
        {
            if (System.Numerics.BitOperations.PopCount((uint)mask) != n1)
                continue;
            int rankSum = 0;
            for (int bit = 0; bit < n; bit++)
                if ((mask & (1 << bit)) != 0)
                    rankSum += bit;
            expected[rankSum - n1 * (n1 - 1) / 2]++;
        }
        Assert.Equal(expected, MannWhitney.UDistribution(n1, n2));
    }

    [Theory]
    [InlineData(0, 1.0)]
    [InlineData(0.5, 0.4795001221869535)]
    [InlineData(0.999, 0.15771472979350307)]
    [InlineData(1, 0.15729920705028513)]
    [InlineData(2.9, 4.109787809945886e-05)]
    [InlineData(2.999, 2.2230168599834058e-05)]
    [InlineData(3, 2.2090496998585438e-05)]
    [InlineData(3.001, 2.19516609177373e-05)]
    [InlineData(5, 1.5374597944280351e-12)]
    [InlineData(10, 2.088487583762545e-45)]
    public void Erfc_MatchesReferenceValues(double x, double expected)
    {
        Assert.Equal(expected, NormalDistribution.Erfc(x), expected * 1e-13);
        Assert.Equal(2 - expected, NormalDistribution.Erfc(-x), 1e-14);
    }
}
