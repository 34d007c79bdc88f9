using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace MklRnn.Tests.Onnx;

/// <summary>Runs a model in ONNX Runtime (the reference) and returns every output by name.</summary>
internal static class OrtSession
{
    public static Dictionary<string, float[]> Run(byte[] model, params (string Name, object Values, int[] Dims)[] inputs)
    {
        using var options = new SessionOptions { IntraOpNumThreads = 1 };
        using var session = new InferenceSession(model, options);
        var feeds = inputs.Select(i => i.Values switch
        {
            float[] f => NamedOnnxValue.CreateFromTensor(i.Name, new DenseTensor<float>(f, i.Dims)),
            long[] l => NamedOnnxValue.CreateFromTensor(i.Name, new DenseTensor<long>(l, i.Dims)),
            int[] n => NamedOnnxValue.CreateFromTensor(i.Name, new DenseTensor<int>(n, i.Dims)),
            _ => throw new ArgumentException(i.Name),
        }).ToList();
        using var results = session.Run(feeds);
        return results.ToDictionary(r => r.Name, r => r.AsTensor<float>().ToArray());
    }

    public static float MaxAbsDifference(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        Assert.Equal(a.Length, b.Length);
        float max = 0;
        for (int i = 0; i < a.Length; i++) max = Math.Max(max, Math.Abs(a[i] - b[i]));
        return max;
    }
}
