using MklRnn.IO;
using MklRnn.Modules;
using MklRnn.Training;

namespace MklRnn.Tooling.Conformance;

/// <summary>
/// Runs a kind = head conformance case: linear + softmax cross-entropy over every step of
/// <c>hidden</c> (T, N, H) with <c>weight</c> (V, H), <c>bias</c> (V), <c>targets</c> (T, N);
/// checks <c>loss</c>, <c>perplexity</c> and the gradients <c>grad_hidden</c>, <c>grad.weight</c>, <c>grad.bias</c>.
/// </summary>
public static class HeadCase
{
    public static void Run(SafeTensorsFile file, CaseMetadata meta, TensorCheck check)
    {
        int[] hiddenShape = file["hidden"].Shape;
        int[] weightShape = file["weight"].Shape;
        if (hiddenShape.Length != 3)
            throw new InvalidDataException($"hidden: expected (T, N, H), got ({string.Join(", ", hiddenShape)})");
        if (weightShape.Length != 2)
            throw new InvalidDataException($"weight: expected (V, H), got ({string.Join(", ", weightShape)})");
        int T = hiddenShape[0], N = hiddenShape[1], H = hiddenShape[2], V = weightShape[0];
        LossReduction reduction = meta["reduction"] switch
        {
            "mean" => LossReduction.Mean,
            "sum" => LossReduction.Sum,
            string other => throw new InvalidDataException($"reduction: expected mean or sum, got '{other}'"),
        };

        var hidden = new float[T * N * H];
        file.ReadFloat32("hidden", hidden, [T, N, H]);
        int[] targets = file.ReadInt32Checked("targets");
        if (targets.Length != T * N)
            throw new InvalidDataException($"targets: expected ({T}, {N}) = {T * N} values, got {targets.Length}");

        using var head = new LinearSoftmaxHead(H, V);
        file.ReadFloat32("weight", head.Weight.Data, [V, H]);
        file.ReadFloat32("bias", head.Bias.Data, [V]);
        head.ZeroGrad();

        var gradHidden = new float[T * N * H];
        float loss = head.Loss(hidden, T * N, targets, reduction, gradHidden);
        float perplexity = (float)head.LastResult.Perplexity;

        double atol = meta.Double("atol"), rtol = meta.Double("rtol");
        double gradAtol = meta.Double("grad_atol"), gradRtol = meta.Double("grad_rtol");
        check.Expect("loss", [loss], [], atol, rtol);
        check.Expect("perplexity", [perplexity], [], atol, rtol);
        check.Expect("grad_hidden", gradHidden, [T, N, H], gradAtol, gradRtol);
        check.Expect("grad.weight", head.Weight.Grad, [V, H], gradAtol, gradRtol);
        check.Expect("grad.bias", head.Bias.Grad, [V], gradAtol, gradRtol);
    }
}
