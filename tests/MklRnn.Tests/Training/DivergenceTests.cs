using MklRnn.Training;

namespace MklRnn.Tests.Training;

public class DivergenceTests
{
    [Theory]
    [InlineData(4.7, 1.0, false)]
    [InlineData(1000.0, 1e30, false)]
    [InlineData(double.NaN, 1.0, true)]
    [InlineData(double.PositiveInfinity, 1.0, true)]
    [InlineData(1000.5, 1.0, true)]
    [InlineData(4.7, double.NaN, true)]
    [InlineData(4.7, double.PositiveInfinity, true)]
    public void AStepDivergedWhenItsLossIsNotFiniteOrAbsurdOrItsGradientNormNotFinite(double loss, double norm, bool diverged) =>
        Assert.Equal(diverged, Divergence.IsDiverged(loss, norm));
}
