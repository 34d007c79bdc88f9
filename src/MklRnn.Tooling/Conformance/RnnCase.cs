using MklRnn.IO;
using MklRnn.Layers;

namespace MklRnn.Tooling.Conformance;

/// <summary>
/// Runs a kind = rnn case: loads the parameters into a <see cref="RecurrentStack"/>, runs forward
/// (and backward, unless forward-only) and checks output, h_n, c_n, grad_input, grad_h0, grad_c0 and
/// grad.&lt;param&gt; for every parameter.
/// </summary>
public static class RnnCase
{
    public static RnnConfig ConfigOf(CaseMetadata meta)
    {
        CellKind cell = meta["mode"] switch
        {
            "RNN_TANH" => CellKind.RnnTanh,
            "RNN_RELU" => CellKind.RnnRelu,
            "LSTM" => CellKind.Lstm,
            "GRU" => CellKind.Gru,
            string m => throw new InvalidDataException($"unknown mode {m}"),
        };
        return new RnnConfig(cell, meta.Int("input_size"), meta.Int("hidden_size"), meta.Int("num_layers", 1), meta.Flag("bidirectional"))
        {
            BatchFirst = meta.Flag("batch_first"),
            ProjSize = meta.Int("proj_size"),
            Peephole = meta.Flag("peephole"),
            LinearBeforeReset = meta.Int("linear_before_reset", 1) == 1,
        };
    }

    public static void Run(SafeTensorsFile file, CaseMetadata meta, TensorCheck check, bool forwardOnly)
    {
        RnnConfig config = ConfigOf(meta);
        using var stack = new RecurrentStack(config);
        foreach (Parameter p in stack.Parameters) file.ReadFloat32(p.Name, p.Data, p.Shape);

        int[] inputShape = file["input"].Shape;
        int T = config.BatchFirst ? inputShape[1] : inputShape[0];
        int N = config.BatchFirst ? inputShape[0] : inputShape[1];
        int S = config.NumLayers * config.Directions;
        bool lstm = config.Cell == CellKind.Lstm;
        int[] outShape = config.BatchFirst ? [N, T, config.OutputSize] : [T, N, config.OutputSize];
        int[] hShape = [S, N, config.OutputHiddenSize];
        int[] cShape = [S, N, config.HiddenSize];

        float[] input = file.ReadFloat32("input");
        float[] h0 = file.Contains("h0") ? file.ReadFloat32("h0") : [];
        float[] c0 = lstm && file.Contains("c0") ? file.ReadFloat32("c0") : [];
        int[] lengths = meta.Flag("has_lengths") ? file.ReadInt32Checked("lengths") : [];
        bool backward = !forwardOnly && file.Contains("grad_output");

        var output = new float[Shapes(outShape)];
        var hN = new float[Shapes(hShape)];
        var cN = lstm ? new float[Shapes(cShape)] : [];
        stack.Forward(input, T, N, output, h0, c0, hN, cN, lengths, training: backward);

        double atol = meta.Double("atol"), rtol = meta.Double("rtol");
        check.Expect("output", output, outShape, atol, rtol);
        check.Expect("h_n", hN, hShape, atol, rtol);
        if (lstm) check.Expect("c_n", cN, cShape, atol, rtol);
        if (!backward) return;

        float[] gradOutput = file.ReadFloat32("grad_output");
        float[] gradHn = file.Contains("grad_h_n") ? file.ReadFloat32("grad_h_n") : [];
        float[] gradCn = lstm && file.Contains("grad_c_n") ? file.ReadFloat32("grad_c_n") : [];
        var gradInput = new float[input.Length];
        var gradH0 = new float[Shapes(hShape)];
        var gradC0 = lstm ? new float[Shapes(cShape)] : [];
        stack.ZeroGrad();
        stack.Backward(gradOutput, gradInput, gradHn, gradCn, gradH0, gradC0);

        double gatol = meta.Double("grad_atol"), grtol = meta.Double("grad_rtol");
        check.Expect("grad_input", gradInput, inputShape, gatol, grtol);
        if (file.Contains("grad_h0")) check.Expect("grad_h0", gradH0, hShape, gatol, grtol);
        if (lstm && file.Contains("grad_c0")) check.Expect("grad_c0", gradC0, cShape, gatol, grtol);
        check.ExpectParameterGradients(stack.Parameters, gatol, grtol);
    }

    private static int Shapes(int[] dims) => dims.Aggregate(1, (a, b) => a * b);
}
