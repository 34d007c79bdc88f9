using MklRnn.Training;

namespace MklRnn.Tests.Training;

/// <summary>The head and clip conformance cases, run through the training API with each file's tolerances.</summary>
public class ConformanceCaseTests
{
    private static List<string> NamesOf(string kind) =>
        Directory.EnumerateFiles(CaseFileReader.CasesDirectory, "*.safetensors").Order()
            .Where(path => new CaseFileReader(path).Metadata["kind"] == kind)
            .Select(path => Path.GetFileNameWithoutExtension(path)!)
            .ToList();

    public static TheoryData<string> HeadCases => new(NamesOf("head"));
    public static TheoryData<string> ClipCases => new(NamesOf("clip"));

    [Fact]
    public void TheNamedCasesArePresent()
    {
        Assert.Contains("head_mean", NamesOf("head"));
        Assert.Contains("head_sum", NamesOf("head"));
        Assert.Contains("clip_active", NamesOf("clip"));
        Assert.Contains("clip_inactive", NamesOf("clip"));
    }

    [Theory]
    [MemberData(nameof(HeadCases))]
    public void HeadCase(string name)
    {
        var file = CaseFileReader.Open(name);
        int[] hs = file.Shape("hidden");
        int T = hs[0], N = hs[1], H = hs[2], V = file.Shape("weight")[0];
        LossReduction reduction = file.Metadata["reduction"] == "mean" ? LossReduction.Mean : LossReduction.Sum;
        float[] hidden = file.Float32("hidden");
        int[] targets = file.Int64AsInt32("targets");

        using var head = new LinearSoftmaxHead(H, V, "head.");
        file.Float32("weight").CopyTo(head.Weight.Data);
        file.Float32("bias").CopyTo(head.Bias.Data);
        var gradHidden = new float[T * N * H];
        float loss = head.Loss(hidden, T * N, targets, reduction, gradHidden);

        double atol = file.Double("atol"), rtol = file.Double("rtol");
        double gatol = file.Double("grad_atol"), grtol = file.Double("grad_rtol");
        file.Expect("loss", [loss], [], atol, rtol);
        file.Expect("perplexity", [(float)head.LastResult.Perplexity], [], atol, rtol);
        file.Expect("grad_hidden", gradHidden, [T, N, H], gatol, grtol);
        file.Expect("grad.weight", head.Weight.Grad, [V, H], gatol, grtol);
        file.Expect("grad.bias", head.Bias.Grad, [V], gatol, grtol);
        Assert.Equal(T * N, head.LastTokenCount);
        Assert.Equal("head.weight", head.Weight.Name);
    }

    [Theory]
    [MemberData(nameof(ClipCases))]
    public void ClipCase(string name)
    {
        var file = CaseFileReader.Open(name);
        var gradients = new List<float[]>();
        var shapes = new List<int[]>();
        for (int k = 0; file.Contains($"g{k}"); k++)
        {
            gradients.Add(file.Float32($"g{k}"));
            shapes.Add(file.Shape($"g{k}"));
        }
        Assert.NotEmpty(gradients);
        double total = GradientClipping.ClipByGlobalNorm(gradients, file.Double("max_norm"));
        double atol = file.Double("atol"), rtol = file.Double("rtol");
        file.Expect("total_norm", [(float)total], [], atol, rtol);
        for (int k = 0; k < gradients.Count; k++)
            file.Expect($"clipped.g{k}", gradients[k], shapes[k], atol, rtol);
    }

    [Theory]
    [MemberData(nameof(ClipCases))]
    public void ClipCaseThroughParameters(string name)
    {
        var file = CaseFileReader.Open(name);
        var parameters = new List<Parameter>();
        try
        {
            for (int k = 0; file.Contains($"g{k}"); k++)
            {
                var p = new Parameter($"g{k}", file.Shape($"g{k}"));
                file.Float32($"g{k}").CopyTo(p.Grad);
                parameters.Add(p);
            }
            double total = GradientClipping.ClipByGlobalNorm(parameters, file.Double("max_norm"));
            double atol = file.Double("atol"), rtol = file.Double("rtol");
            file.Expect("total_norm", [(float)total], [], atol, rtol);
            foreach (Parameter p in parameters)
                file.Expect($"clipped.{p.Name}", p.Grad, p.Shape.ToArray(), atol, rtol);
        }
        finally
        {
            foreach (Parameter p in parameters) p.Dispose();
        }
    }
}
