namespace MklRnn;

/// <summary>The recurrent cell families, with PyTorch's mode names in comments.</summary>
public enum CellKind
{
    /// <summary>RNN_TANH: h = tanh(W_ih x + b_ih + W_hh h + b_hh).</summary>
    RnnTanh,
    /// <summary>RNN_RELU: h = relu(W_ih x + b_ih + W_hh h + b_hh).</summary>
    RnnRelu,
    /// <summary>LSTM, gates i, f, g, o; optional peepholes and projection.</summary>
    Lstm,
    /// <summary>GRU, gates r, z, n; linear_before_reset selects the cuDNN/PyTorch or the original form.</summary>
    Gru,
}
