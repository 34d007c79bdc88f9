namespace MklRnn;

/// <summary>Cell names: PyTorch's modes in files (LSTM, GRU, RNN_TANH, RNN_RELU); friendlier spellings on the command line.</summary>
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

    /// <summary>The command-line spellings, for usage and error messages.</summary>
    public const string CommandLineChoices = "lstm, gru, rnn (tanh), rnn-relu";

    /// <summary>A file's `cell` value (PyTorch's mode) or a command-line spelling, case-insensitive; null when unknown.</summary>
    public static CellKind? Parse(string text) => text.Trim().ToUpperInvariant().Replace('-', '_') switch
    {
        "LSTM" => CellKind.Lstm,
        "GRU" => CellKind.Gru,
        "RNN" or "RNN_TANH" or "TANH" => CellKind.RnnTanh,
        "RNN_RELU" or "RELU" => CellKind.RnnRelu,
        _ => null,
    };
}
