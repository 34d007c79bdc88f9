using MklRnn.Onnx;

namespace MklRnn.Tests.Onnx;

/// <summary>
/// What an imported model computes in MklRnn, in the graph's terms: the stack's output, or the head's logits and
/// softmax / log-softmax (a float64 reference for the activation) on every step or on the final state.
/// </summary>
internal static class ImportedModelOutputs
{
    /// <summary>The graph's main output: y itself without a head, else the head over y (every step) or over hN's last layer.</summary>
    public static float[] MainOutput(OnnxRecurrentModel model, float[] y, float[] hN, int seqLength, int batchSize)
    {
        if (model.Head == null) return y;
        if (model.HeadInput == HeadInput.Sequence) return ApplyHead(model, y, seqLength * batchSize);
        return ApplyHead(model, FinalState(model, hN, batchSize), batchSize);
    }

    /// <summary>The last layer's final state (N, D·H).</summary>
    public static float[] FinalState(OnnxRecurrentModel model, float[] hN, int batchSize)
    {
        var features = new float[batchSize * model.Stack.Config.OutputSize];
        model.FinalStateFeatures(hN, batchSize, features);
        return features;
    }

    private static float[] ApplyHead(OnnxRecurrentModel model, float[] hidden, int rows)
    {
        int V = model.Head!.VocabularySize;
        var logits = new float[rows * V];
        model.Head.Logits(hidden, rows, logits);
        if (model.Activation == OutputActivation.None) return logits;
        for (int r = 0; r < rows; r++)
        {
            Span<float> row = logits.AsSpan(r * V, V);
            double max = row.ToArray().Max(), sum = 0;
            foreach (float v in row) sum += Math.Exp(v - max);
            for (int v = 0; v < V; v++)
                row[v] = model.Activation == OutputActivation.Softmax ? (float)(Math.Exp(row[v] - max) / sum) : (float)(row[v] - max - Math.Log(sum));
        }
        return logits;
    }
}
