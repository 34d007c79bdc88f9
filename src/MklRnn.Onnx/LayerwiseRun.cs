using MklRnn.Core;
using MklRnn.Layers;

namespace MklRnn.Onnx;

/// <summary>
/// Runs a stack one layer at a time, each layer forward or time-reversed (ONNX direction 'reverse'), for graphs
/// whose single-direction layers differ in direction. RecurrentStack runs all its layers one way, so each layer
/// runs in a one-layer stack of its own; the full stack keeps owning the weights (export, convert and the
/// precision setting read them there) and a layer's copy is refreshed whenever a parameter's version moves.
/// </summary>
internal sealed class LayerwiseRun(RecurrentStack stack) : IDisposable
{
    private readonly RecurrentStack?[] _layers = new RecurrentStack?[stack.Config.NumLayers];
    private readonly int[][] _copiedVersions = new int[stack.Config.NumLayers][];

    /// <summary>Arguments as <see cref="RecurrentStack.Forward"/> (inference); reversed: per layer, whether it runs time-reversed.</summary>
    public void Forward(IReadOnlyList<bool> reversed, ReadOnlySpan<float> input, int seqLength, int batchSize, Span<float> output,
        ReadOnlySpan<float> h0, ReadOnlySpan<float> c0, Span<float> hN, Span<float> cN, ReadOnlySpan<int> lengths)
    {
        RnnConfig c = stack.Config;
        int L = c.NumLayers;
        // Per layer, h: (D, N, Hout) and c: (D, N, H) blocks of the (L*D, N, .) states.
        int hBlock = c.Directions * batchSize * c.OutputHiddenSize, cBlock = c.Directions * batchSize * c.HiddenSize;
        ReadOnlySpan<float> Block(ReadOnlySpan<float> s, int l, int size) => s.IsEmpty ? default : s.Slice(l * size, size);
        Span<float> Out(Span<float> s, int l, int size) => s.IsEmpty ? default : s.Slice(l * size, size);
        ReadOnlySpan<float> x = input;
        for (int l = 0; l < L; l++)
        {
            RecurrentStack layer = Layer(l);
            // y: (T, N, D*Hout), or batch-first; the last layer writes the caller's output.
            Span<float> y = l == L - 1 ? output : new float[seqLength * batchSize * c.OutputSize];
            ReadOnlySpan<float> lh0 = Block(h0, l, hBlock), lc0 = Block(c0, l, cBlock);
            Span<float> lhN = Out(hN, l, hBlock), lcN = Out(cN, l, cBlock);
            if (reversed[l]) TimeReversal.Forward(layer, x, seqLength, batchSize, y, lh0, lc0, lhN, lcN, lengths);
            else layer.Forward(x, seqLength, batchSize, y, lh0, lc0, lhN, lcN, lengths);
            x = y;
        }
    }

    /// <summary>Layer l as a one-layer stack with the full stack's current weights and precision.</summary>
    private RecurrentStack Layer(int l)
    {
        RnnConfig c = stack.Config;
        RecurrentStack layer = _layers[l] ??= new RecurrentStack(c with { NumLayers = 1, InputSize = c.LayerInputSize(l), Dropout = 0 });
        _copiedVersions[l] ??= Enumerable.Repeat(-1, layer.Parameters.Count).ToArray();
        for (int p = 0; p < layer.Parameters.Count; p++)
        {
            Parameter target = layer.Parameters[p];
            // RecurrentWeights.Parameters runs layer by layer in one fixed order, so layer l's are the l-th block.
            Parameter source = stack.Parameters[l * layer.Parameters.Count + p];
            if (_copiedVersions[l][p] == source.Version) continue;
            source.Values.CopyTo(target.Data);
            _copiedVersions[l][p] = source.Version;
        }
        layer.UseSideThread = stack.UseSideThread;
        if (layer.Precision != stack.Precision) layer.PrepareInference(stack.Precision);
        return layer;
    }

    public void Dispose()
    {
        foreach (RecurrentStack? layer in _layers) layer?.Dispose();
    }
}
