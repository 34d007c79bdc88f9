using MklRnn.Training;

namespace MklRnn.Tests.Helpers;

/// <summary>Double-precision reference computations for the finite-difference checks.</summary>
internal static class Reference
{
    /// <summary>Softmax cross-entropy of rows of hidden (rows, H) through W (V, H), b (V), in double.</summary>
    public static double CrossEntropy(double[] hidden, double[] w, double[] b, int[] targets, int rows, int H, int V,
        LossReduction reduction, int ignoreIndex = -1)
    {
        double sum = 0;
        int counted = 0;
        var z = new double[V];
        for (int r = 0; r < rows; r++)
        {
            if (targets[r] == ignoreIndex) continue;
            counted++;
            double max = double.NegativeInfinity;
            for (int v = 0; v < V; v++)
            {
                double acc = b[v];
                for (int h = 0; h < H; h++) acc += hidden[r * H + h] * w[v * H + h];
                z[v] = acc;
                max = Math.Max(max, acc);
            }
            double s = 0;
            for (int v = 0; v < V; v++) s += Math.Exp(z[v] - max);
            sum += Math.Log(s) + max - z[targets[r]];
        }
        if (counted == 0) return 0;
        return reduction == LossReduction.Mean ? sum / counted : sum;
    }

    /// <summary>Central difference of f at x[i] (x restored afterwards).</summary>
    public static double Derivative(Func<double> f, double[] x, int i, double h = 1e-5)
    {
        double saved = x[i];
        x[i] = saved + h;
        double up = f();
        x[i] = saved - h;
        double down = f();
        x[i] = saved;
        return (up - down) / (2 * h);
    }

    /// <summary>Σ gradient[i] direction[i]: the analytic derivative along a direction.</summary>
    public static double AlongDirection(ReadOnlySpan<float> gradient, float[] direction)
    {
        double sum = 0;
        for (int i = 0; i < direction.Length; i++) sum += gradient[i] * direction[i];
        return sum;
    }

    /// <summary>
    /// Central difference of loss along a direction: (loss(x + eps d) - loss(x - eps d)) / 2 eps around
    /// x = original; write puts each point (and finally original again) where loss reads it.
    /// </summary>
    public static double DirectionalDerivative(float[] original, float[] direction, float eps, Action<float[]> write, Func<double> loss)
    {
        var point = new float[original.Length];
        double Shifted(float h)
        {
            for (int i = 0; i < point.Length; i++) point[i] = original[i] + h * direction[i];
            write(point);
            return loss();
        }
        double plus = Shifted(eps), minus = Shifted(-eps);
        write(original);
        return (plus - minus) / (2 * eps);
    }

    public static double[] ToDouble(ReadOnlySpan<float> values)
    {
        var d = new double[values.Length];
        for (int i = 0; i < d.Length; i++) d[i] = values[i];
        return d;
    }

    public static float[] RandomFloats(Random random, int count, float scale = 1f)
    {
        var values = new float[count];
        for (int i = 0; i < count; i++) values[i] = (random.NextSingle() * 2f - 1f) * scale;
        return values;
    }

    public static void Near(double want, double got, double atol, double rtol, string what)
    {
        double diff = Math.Abs(want - got);
        Assert.True(diff <= atol + rtol * Math.Abs(want), $"{what}: got {got}, want {want} (diff {diff})");
    }
}
