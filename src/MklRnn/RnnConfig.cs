using MklRnn.Core;

namespace MklRnn;

/// <summary>
/// The architecture of a recurrent stack, with PyTorch's meaning for every field
/// (torch.nn.RNN / LSTM / GRU), plus peepholes and the original GRU, which PyTorch lacks.
/// </summary>
public sealed record RnnConfig
{
    public RnnConfig(CellKind cell, int inputSize, int hiddenSize, int numLayers = 1, bool bidirectional = false)
    {
        Cell = cell;
        InputSize = inputSize;
        HiddenSize = hiddenSize;
        NumLayers = numLayers;
        Bidirectional = bidirectional;
    }

    public CellKind Cell { get; init; }
    public int InputSize { get; init; }
    public int HiddenSize { get; init; }
    public int NumLayers { get; init; } = 1;
    public bool Bidirectional { get; init; }

    /// <summary>Inputs and outputs as (N, T, F) instead of (T, N, F).</summary>
    public bool BatchFirst { get; init; }

    /// <summary>LSTM only: h = W_hr (o * tanh(c)), of size ProjSize; 0 = no projection.</summary>
    public int ProjSize { get; init; }

    /// <summary>LSTM only: Gers peepholes (i, f see c_{t-1}; o sees c_t).</summary>
    public bool Peephole { get; init; }

    /// <summary>GRU only: true = cuDNN/PyTorch form r * (W_hn h + b_hn); false = original W_hn (r * h) + b_hn.</summary>
    public bool LinearBeforeReset { get; init; } = true;

    /// <summary>Inverted dropout on the outputs of every layer but the last, in training only (PyTorch's dropout).</summary>
    public float Dropout { get; init; }

    /// <summary>G: gates per cell.</summary>
    public int GateCount => GateLayout.GateCount(Cell);

    /// <summary>Directions: 2 if bidirectional, else 1.</summary>
    public int Directions => Bidirectional ? 2 : 1;

    /// <summary>Width of h (ProjSize when projecting, else HiddenSize).</summary>
    public int OutputHiddenSize => ProjSize > 0 ? ProjSize : HiddenSize;

    /// <summary>Width of the stack's output: Directions * OutputHiddenSize.</summary>
    public int OutputSize => Directions * OutputHiddenSize;

    /// <summary>Input width of layer k.</summary>
    public int LayerInputSize(int layer) => layer == 0 ? InputSize : Directions * OutputHiddenSize;

    /// <summary>PyTorch's mode string: RNN_TANH, RNN_RELU, LSTM, GRU.</summary>
    public string ModeName => Cell.ModeName();

    /// <summary>Throws an ArgumentException naming the first field that is out of range.</summary>
    public void Validate()
    {
        if (InputSize < 1) throw new ArgumentOutOfRangeException(nameof(InputSize), InputSize, "input size must be >= 1");
        if (HiddenSize < 1) throw new ArgumentOutOfRangeException(nameof(HiddenSize), HiddenSize, "hidden size must be >= 1");
        if (NumLayers < 1) throw new ArgumentOutOfRangeException(nameof(NumLayers), NumLayers, "number of layers must be >= 1");
        if (ProjSize < 0 || (ProjSize > 0 && Cell != CellKind.Lstm))
            throw new ArgumentOutOfRangeException(nameof(ProjSize), ProjSize, "a projection (proj_size > 0) exists for LSTM only");
        if (ProjSize >= HiddenSize && ProjSize > 0)
            throw new ArgumentOutOfRangeException(nameof(ProjSize), ProjSize, $"proj_size must be smaller than hidden_size ({HiddenSize}), as in PyTorch");
        if (Peephole && Cell != CellKind.Lstm)
            throw new ArgumentException("peepholes exist for LSTM only", nameof(Peephole));
        if (!(Dropout >= 0 && Dropout < 1))
            throw new ArgumentOutOfRangeException(nameof(Dropout), Dropout, "dropout must be in [0, 1)");
        if (!Enum.IsDefined(Cell)) throw new ArgumentOutOfRangeException(nameof(Cell), Cell, "unknown cell kind");
        // Every weight must fit one buffer (checked: a hidden size of 2e9 must not wrap G*H to a negative width).
        long gateRows = SizeMath.Elements(GateCount, HiddenSize, "gates * hidden_size", nameof(HiddenSize));
        SizeMath.Elements(gateRows, OutputHiddenSize, "weight_hh: gates * hidden_size * hidden_size", nameof(HiddenSize));
        SizeMath.Elements(gateRows, Math.Max(InputSize, (long)Directions * OutputHiddenSize), "weight_ih: gates * hidden_size * input width", nameof(InputSize));
        SizeMath.Elements(NumLayers, 2L * Directions, "num_layers * 2 * directions", nameof(NumLayers));
    }
}
