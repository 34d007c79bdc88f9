namespace MklRnn.Core;

/// <summary>
/// Gate order inside a (rows, G*H) gate block: gate k occupies columns [k*H, (k+1)*H).
/// PyTorch's (and cuDNN's) order; mirrored by the MKLRNN_LSTM_* / MKLRNN_GRU_* defines in mklrnn.h.
/// </summary>
internal static class GateLayout
{
    public const int LstmI = 0, LstmF = 1, LstmG = 2, LstmO = 3;
    public const int GruR = 0, GruZ = 1, GruN = 2;

    /// <summary>G: gates per cell (4 LSTM, 3 GRU, 1 vanilla RNN).</summary>
    public static int GateCount(CellKind kind) => kind switch
    {
        CellKind.Lstm => 4,
        CellKind.Gru => 3,
        _ => 1,
    };
}
