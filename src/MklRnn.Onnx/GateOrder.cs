namespace MklRnn.Onnx;

/// <summary>
/// Gate block orders: ONNX LSTM i,o,f,c vs PyTorch/MklRnn i,f,g,o; ONNX GRU z,r,h vs r,z,n; ONNX
/// peepholes i,o,f vs MklRnn i,f,o. A map lists, for each destination block, the source block.
/// </summary>
internal static class GateOrder
{
    public static int[] TorchFromOnnx(CellKind cell) => cell switch
    {
        CellKind.Lstm => [0, 2, 3, 1],
        CellKind.Gru => [1, 0, 2],
        _ => [0],
    };

    public static int[] OnnxFromTorch(CellKind cell) => cell switch
    {
        CellKind.Lstm => [0, 3, 1, 2],
        CellKind.Gru => [1, 0, 2],
        _ => [0],
    };

    /// <summary>Peepholes: i,o,f and i,f,o swap their last two rows both ways.</summary>
    public static readonly int[] Peephole = [0, 2, 1];

    /// <summary>destination block k = source block map[k], each block blockLength values.</summary>
    public static void Permute(ReadOnlySpan<float> source, Span<float> destination, int[] map, int blockLength)
    {
        for (int k = 0; k < map.Length; k++)
            source.Slice(map[k] * blockLength, blockLength).CopyTo(destination.Slice(k * blockLength, blockLength));
    }
}
