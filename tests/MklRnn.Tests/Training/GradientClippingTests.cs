using MklRnn.Training;

namespace MklRnn.Tests.Training;

public class GradientClippingTests
{
    [Fact]
    public void ScalesByPyTorchFactor()
    {
        float[][] grads = [[3f, 0f], [4f]];
        double norm = GradientClipping.ClipByGlobalNorm(grads, 1.0);
        Assert.Equal(5.0, norm, 12);
        double factor = 1.0 / (5.0 + 1e-6);
        Assert.Equal((float)(3 * factor), grads[0][0], 6);
        Assert.Equal((float)(4 * factor), grads[1][0], 6);
    }

    [Fact]
    public void BelowMaxNormLeavesGradientsUnchanged()
    {
        float[][] grads = [[0.3f, -0.4f]];
        double norm = GradientClipping.ClipByGlobalNorm(grads, 10.0);
        Assert.Equal(0.5, norm, 6);
        Assert.Equal([0.3f, -0.4f], grads[0]);
    }

    [Fact]
    public void NonFiniteNormScalesAnywayAsPyTorch()
    {
        float[][] grads = [[1f, float.PositiveInfinity]];
        double norm = GradientClipping.ClipByGlobalNorm(grads, 1.0);
        Assert.True(double.IsPositiveInfinity(norm));
        Assert.Equal(0f, grads[0][0]);
        Assert.True(float.IsNaN(grads[0][1]));

        float[][] nan = [[1f, float.NaN]];
        Assert.True(double.IsNaN(GradientClipping.ClipByGlobalNorm(nan, 1.0)));
        Assert.True(float.IsNaN(nan[0][0]));
    }

    [Fact]
    public void ParameterOverloadClipsGrads()
    {
        using var a = new Parameter("a", 2);
        using var b = new Parameter("b", 1);
        a.Grad[0] = 6f; a.Grad[1] = 0f; b.Grad[0] = 8f;
        Assert.Equal(10.0, GradientClipping.GlobalNorm([a, b]), 12);
        double norm = GradientClipping.ClipByGlobalNorm([a, b], 5.0);
        Assert.Equal(10.0, norm, 12);
        Assert.Equal(3f, a.Grad[0], 5);
        Assert.Equal(4f, b.Grad[0], 5);
    }

    [Fact]
    public void ClippingAParameterListAllocatesNothing()
    {
        using var a = new Parameter("a", 64);
        using var b = new Parameter("b", 32);
        IReadOnlyList<Parameter> parameters = [a, b];
        a.Grad.Fill(1f); b.Grad.Fill(-2f);
        GradientClipping.ClipByGlobalNorm(parameters, 1.0);   // warm up (JIT)
        a.Grad.Fill(1f); b.Grad.Fill(-2f);
        long before = GC.GetAllocatedBytesForCurrentThread();
        double norm = GradientClipping.ClipByGlobalNorm(parameters, 1.0);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(Math.Sqrt(64 * 1.0 + 32 * 4.0), norm, 9);
        Assert.Equal(0, allocated);
    }

    [Fact]
    public void BadMaxNormThrows()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => GradientClipping.ClipByGlobalNorm(new List<float[]> { new float[1] }, 0));
        Assert.Equal("maxNorm", e.ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => GradientClipping.ClipByGlobalNorm(new List<float[]> { new float[1] }, double.NaN));
    }
}
