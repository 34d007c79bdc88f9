using MklRnn.Core;
using MklRnn.Interop;

namespace MklRnn.Cells;

/// <summary>Elman RNN: h = act(x W_ih^T + b_ih + h W_hh^T + b_hh), act = tanh or relu.</summary>
internal sealed unsafe class VanillaRnnCell(int activation) : Cell
{
    public override void Forward(LayerDirection d, LayerRows y, int n, int o, int s, bool training)
    {
        int H = d.H;
        o += s; // the window's first packed row
        float* g = d.Gates.Pointer + (long)o * H;
        float* h = d.HState.Pointer + (long)s * H;
        if (training) SaveHPrev(d, n, o, s);
        d.Packed.HhForward.Multiply(n, h, H, 1f, g, H); // accumulate into the input projection (beta = 1)
        Status.ThrowIfFailed(NativeShim.RnnForward(activation, n, H, g, H,
            d.Weights.BiasIh.DataPointer, d.Weights.BiasHh.DataPointer, h, H, y.Row(o), y.Stride), "mklrnn_rnn_forward");
    }

    public override void Backward(LayerDirection d, LayerRows y, LayerRows dy, int n, int o, int s)
    {
        int H = d.H;
        o += s;
        float* g = d.Gates.Pointer + (long)o * H;
        float* dh = d.DhState.Pointer + (long)s * H;
        // h_t is the layer output of this row, which training keeps.
        Status.ThrowIfFailed(NativeShim.RnnBackward(activation, n, H, y.Row(o), y.Stride, dh, H,
            dy.Row(o), dy.Stride, g, H), "mklrnn_rnn_backward");
        d.Packed.HhBackward.Multiply(n, g, H, 0f, dh, H); // dh_{t-1} = dG W_hh
    }

    public override void AccumulateRecurrentGradients(LayerDirection d, int rows)
    {
        int H = d.H;
        Gemm.Multiply(m: H, n: H, k: rows, Matrix.Of(d.Gates.Pointer, H).T, Matrix.Of(d.HPrev.Pointer, H),
            Matrix.Of(d.Weights.WeightHh.GradPointer, H), beta: 1f);
        AccumulateBiasGradients(d.Gates.Pointer, d.Gates.Pointer, rows, H, d.Weights.BiasIh, d.Weights.BiasHh);
    }
}
