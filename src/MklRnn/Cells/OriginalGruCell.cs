using MklRnn.Core;
using MklRnn.Interop;

namespace MklRnn.Cells;

/// <summary>
/// GRU with linear_before_reset = 0 (the original 2014 form): n = tanh(x_n + b_in + (r * h) W_hn^T + b_hn).
/// The reset gate acts before the second recurrent GEMM, so each step is GEMM, kernel, GEMM, kernel.
/// </summary>
internal sealed unsafe class OriginalGruCell : Cell
{
    public override void Forward(LayerDirection d, LayerRows y, int n, int o, int s, bool training)
    {
        int H = d.H, G3 = 3 * H;
        o += s; // the window's first packed row
        float* gx = d.Gates.Pointer + (long)o * G3;
        float* ghrz = d.Gh.Pointer + (long)s * 2 * H;  // (n, 2H) h W_hrz^T
        float* ghn = d.Ghn.Pointer + (long)s * H;      // (n, H) (r*h) W_hn^T
        float* rh = d.Rh.Pointer + (long)(training ? o : s) * H;
        float* h = d.HState.Pointer + (long)s * H;
        if (training) SaveHPrev(d, n, o, s);
        d.Packed.HhForward.Multiply(n, h, H, 0f, ghrz, 2 * H);
        Status.ThrowIfFailed(NativeShim.Gru0ForwardGates(n, H, gx, G3, ghrz, 2 * H, d.Weights.BiasIh.DataPointer, d.Weights.BiasHh.DataPointer,
            h, H, rh, H), "mklrnn_gru0_forward_gates");
        d.Packed.HnForward.Multiply(n, rh, H, 0f, ghn, H);
        Status.ThrowIfFailed(NativeShim.Gru0ForwardState(n, H, gx, G3, ghn, H, d.Weights.BiasIh.DataPointer, d.Weights.BiasHh.DataPointer,
            h, H, h, H, y.Row(o), y.Stride), "mklrnn_gru0_forward_state");
    }

    public override void Backward(LayerDirection d, LayerRows y, LayerRows dy, int n, int o, int s)
    {
        int H = d.H, G3 = 3 * H;
        o += s;
        float* gx = d.Gates.Pointer + (long)o * G3;
        float* hPrev = d.HPrev.Pointer + (long)o * H;
        float* dh = d.DhState.Pointer + (long)s * H;
        float* drh = d.Scratch.Pointer + (long)s * H;
        Status.ThrowIfFailed(NativeShim.Gru0BackwardState(n, H, gx, G3, hPrev, H, dh, H, dy.Row(o), dy.Stride,
            gx, G3, dh, H), "mklrnn_gru0_backward_state");
        d.Packed.HnBackward.Multiply(n, gx + 2 * H, G3, 0f, drh, H); // d(r*h) = dn W_hn
        Status.ThrowIfFailed(NativeShim.Gru0BackwardGates(n, H, gx, G3, hPrev, H, drh, H, gx, G3, dh, H),
            "mklrnn_gru0_backward_gates");
        d.Packed.HhBackward.Multiply(n, gx, G3, 1f, dh, H); // + [dr, dz] W_hrz
    }

    public override void AccumulateRecurrentGradients(LayerDirection d, int rows)
    {
        int H = d.H, G3 = 3 * H;
        float* dW = d.Weights.WeightHh.GradPointer;
        Gemm.Multiply(m: 2 * H, n: H, k: rows, Matrix.Of(d.Gates.Pointer, G3).T, Matrix.Of(d.HPrev.Pointer, H),
            Matrix.Of(dW, H), beta: 1f);
        Gemm.Multiply(m: H, n: H, k: rows, Matrix.Of(d.Gates.Pointer + 2 * H, G3).T, Matrix.Of(d.Rh.Pointer, H),
            Matrix.Of(dW + 2L * H * H, H), beta: 1f);
        AccumulateBiasGradients(d.Gates.Pointer, d.Gates.Pointer, rows, G3, d.Weights.BiasIh, d.Weights.BiasHh);
    }
}
