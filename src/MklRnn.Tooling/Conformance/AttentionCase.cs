using MklRnn.IO;
using MklRnn.Seq2Seq;

namespace MklRnn.Tooling.Conformance;

/// <summary>
/// Runs a kind = attention case: Luong global attention of <c>query</c> (N, H) over <c>keys</c> (S, N, H)
/// masked to <c>mask_lengths</c>; checks <c>weights</c>, <c>context</c>, <c>attentional</c> and, unless
/// forward-only, <c>grad_query</c>, <c>grad_keys</c> and grad.&lt;param&gt; for every parameter.
/// </summary>
public static class AttentionCase
{
    public static void Run(SafeTensorsFile file, CaseMetadata meta, TensorCheck check, bool forwardOnly)
    {
        int[] keysShape = file["keys"].Shape;
        if (keysShape.Length != 3)
            throw new InvalidDataException($"keys: expected (S, N, H), got ({string.Join(", ", keysShape)})");
        int S = keysShape[0], N = keysShape[1], H = keysShape[2];
        AttentionScore score = AttentionScores.Parse(meta["score"]);
        using var attention = new LuongAttention(H, score);
        foreach (Parameter p in attention.Parameters) file.ReadFloat32(p.Name, p.Data, p.Shape);

        var query = new float[N * H];
        file.ReadFloat32("query", query, [N, H]);
        float[] keys = file.ReadFloat32("keys");
        int[] lengths = file.ReadInt32Checked("mask_lengths");
        bool backward = !forwardOnly && file.Contains("grad_attentional");

        attention.Begin(keys, S, N, lengths, maxSteps: 1, training: backward);
        var attentional = new float[N * H];
        attention.Step(query, attentional);
        var context = new float[N * H];
        attention.CopyLastContext(context);

        double atol = meta.Double("atol"), rtol = meta.Double("rtol");
        check.Expect("weights", attention.LastWeights, [N, S], atol, rtol);
        check.Expect("context", context, [N, H], atol, rtol);
        check.Expect("attentional", attentional, [N, H], atol, rtol);
        if (!backward) return;

        var gradAttentional = new float[N * H];
        file.ReadFloat32("grad_attentional", gradAttentional, [N, H]);
        var gradQuery = new float[N * H];
        var gradKeys = new float[keys.Length];
        foreach (Parameter p in attention.Parameters) p.ZeroGrad();
        attention.BeginBackward();
        attention.BackwardStep(gradAttentional, gradQuery);
        attention.EndBackward(gradKeys);

        double gatol = meta.Double("grad_atol"), grtol = meta.Double("grad_rtol");
        check.Expect("grad_query", gradQuery, [N, H], gatol, grtol);
        check.Expect("grad_keys", gradKeys, [S, N, H], gatol, grtol);
        check.ExpectParameterGradients(attention.Parameters, gatol, grtol);
    }
}
