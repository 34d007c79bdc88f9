using MklRnn.Core;
using MklRnn.Interop;

namespace MklRnn.Cells;

/// <summary>
/// GRU with linear_before_reset = 1 (cuDNN / PyTorch): n = tanh(x_n + b_in + r * (h W_hn^T + b_hn)).
/// The recurrent product goes to its own buffer (the reset gate scales its n part).
/// </summary>
internal sealed unsafe class GruCell : Cell
{
    public override void Forward(LayerDirection d, LayerRows y, int n, int o, int s, bool training)
    {
        int H = d.H, G3 = 3 * H;
        o += s; // the window's first packed row
        float* gx = d.Gates.Pointer + (long)o * G3;
        float* gh = d.Gh.Pointer + (long)(training ? o : s) * G3;
        float* h = d.HState.Pointer + (long)s * H;
        if (training) SaveHPrev(d, n, o, s);
        d.Packed.HhForward.Multiply(n, h, H, 0f, gh, G3);
        Status.ThrowIfFailed(NativeShim.GruForward(n, H, gx, G3, gh, G3, d.Weights.BiasIh.DataPointer, d.Weights.BiasHh.DataPointer,
            h, H, h, H, y.Row(o), y.Stride), "mklrnn_gru_forward");
    }

    public override void Backward(LayerDirection d, LayerRows y, LayerRows dy, int n, int o, int s)
    {
        int H = d.H, G3 = 3 * H;
        o += s;
        float* gx = d.Gates.Pointer + (long)o * G3;
        float* gh = d.Gh.Pointer + (long)o * G3;
        float* dh = d.DhState.Pointer + (long)s * H;
        Status.ThrowIfFailed(NativeShim.GruBackward(n, H, gx, G3, gh, G3, d.HPrev.Pointer + (long)o * H, H,
            dh, H, dy.Row(o), dy.Stride, gx, G3, gh, G3, dh, H), "mklrnn_gru_backward");
        d.Packed.HhBackward.Multiply(n, gh, G3, 1f, dh, H); // dh_{t-1} += dGh W_hh
    }

    public override void AccumulateRecurrentGradients(LayerDirection d, int rows)
    {
        int H = d.H, G3 = 3 * H;
        Gemm.Multiply(m: G3, n: H, k: rows, Matrix.Of(d.Gh.Pointer, G3).T, Matrix.Of(d.HPrev.Pointer, H),
            Matrix.Of(d.Weights.WeightHh.GradPointer, H), beta: 1f);
        AccumulateBiasGradients(d.Gates.Pointer, d.Gh.Pointer, rows, G3, d.Weights.BiasIh, d.Weights.BiasHh);
    }
}
