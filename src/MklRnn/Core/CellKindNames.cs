namespace MklRnn;

/// <summary>PyTorch's names of the cell families.</summary>
public static class CellKindNames
{
    /// <summary>PyTorch's mode string: RNN_TANH, RNN_RELU, LSTM, GRU.</summary>
    public static string ModeName(this CellKind cell) => cell switch
    {
        CellKind.RnnTanh => "RNN_TANH",
        CellKind.RnnRelu => "RNN_RELU",
        CellKind.Lstm => "LSTM",
        CellKind.Gru => "GRU",
        _ => throw new ArgumentOutOfRangeException(nameof(cell), cell, "unknown cell kind"),
    };
}
