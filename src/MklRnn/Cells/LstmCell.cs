using MklRnn.Core;
using MklRnn.Interop;

namespace MklRnn.Cells;

/// <summary>
/// LSTM (gates i, f, g, o), with optional peepholes and projection (h = W_hr m, m = o * tanh(c)).
/// The recurrent product accumulates into the input projection (beta = 1), so one fused kernel
/// call adds the biases, applies the gates and updates c and h.
/// </summary>
internal sealed unsafe class LstmCell : Cell
{
    public override void Forward(LayerDirection d, LayerRows y, int n, int o, int s, bool training)
    {
        int H = d.H, P = d.Hout, GH = d.GH;
        o += s; // the window's first packed row
        float* gates = d.Gates.Pointer + (long)o * GH;
        float* h = d.HState.Pointer + (long)s * P;
        float* c = d.CState.Pointer + (long)s * H;
        if (training)
        {
            SaveHPrev(d, n, o, s);
            Rows.Copy(c, H, d.CPrev.Pointer + (long)o * H, H, n, H);
        }
        d.Packed.HhForward.Multiply(n, h, P, 1f, gates, GH);
        float* peep = d.Weights.Peephole != null ? d.Weights.Peephole.DataPointer : null;
        float* yRows = y.Row(o);
        if (d.Weights.WeightHr == null)
        {
            Status.ThrowIfFailed(NativeShim.LstmForward(n, H, gates, GH, d.Weights.BiasIh.DataPointer, d.Weights.BiasHh.DataPointer, peep,
                c, H, c, H, h, H, yRows, y.Stride), "mklrnn_lstm_forward");
        }
        else
        {
            float* m = d.M.Pointer + (long)(training ? o : s) * H;
            Status.ThrowIfFailed(NativeShim.LstmForward(n, H, gates, GH, d.Weights.BiasIh.DataPointer, d.Weights.BiasHh.DataPointer, peep,
                c, H, c, H, m, H, null, 0), "mklrnn_lstm_forward");
            d.Packed.HrForward.Multiply(n, m, H, 0f, h, P); // h = m W_hr^T
            Rows.Copy(h, P, yRows, y.Stride, n, P);
        }
        if (training) Rows.Copy(c, H, d.C.Pointer + (long)o * H, H, n, H);
    }

    public override void Backward(LayerDirection d, LayerRows y, LayerRows dy, int n, int o, int s)
    {
        int H = d.H, P = d.Hout, GH = d.GH;
        o += s;
        float* gates = d.Gates.Pointer + (long)o * GH;
        float* dh = d.DhState.Pointer + (long)s * P;
        float* dc = d.DcState.Pointer + (long)s * H;
        float* dyRows = dy.Row(o);
        float* peep = d.Weights.Peephole != null ? d.Weights.Peephole.DataPointer : null;
        float* dpeep = d.Weights.Peephole != null ? d.Weights.Peephole.GradPointer : null;
        float* cPrev = d.CPrev.Pointer + (long)o * H, c = d.C.Pointer + (long)o * H;
        if (d.Weights.WeightHr == null)
        {
            Status.ThrowIfFailed(NativeShim.LstmBackward(n, H, gates, GH, peep, cPrev, H, c, H, dh, H, dyRows, dy.Stride,
                dc, H, gates, GH, dpeep), "mklrnn_lstm_backward");
        }
        else
        {
            // Gradient w.r.t. h (size P) of this row, kept for dW_hr; then through W_hr to m.
            float* dhp = d.DhP.Pointer + (long)o * P;
            Rows.Add(dh, P, dyRows, dy.Stride, dhp, P, n, P);
            float* dm = d.Scratch.Pointer + (long)s * H;
            d.Packed.HrBackward.Multiply(n, dhp, P, 0f, dm, H); // dm = dh W_hr
            Status.ThrowIfFailed(NativeShim.LstmBackward(n, H, gates, GH, peep, cPrev, H, c, H, dm, H, null, 0,
                dc, H, gates, GH, dpeep), "mklrnn_lstm_backward");
        }
        d.Packed.HhBackward.Multiply(n, gates, GH, 0f, dh, P); // dh_{t-1} = dG W_hh
    }

    public override void AccumulateRecurrentGradients(LayerDirection d, int rows)
    {
        int H = d.H, P = d.Hout, GH = d.GH;
        Gemm.Multiply(m: GH, n: P, k: rows, Matrix.Of(d.Gates.Pointer, GH).T, Matrix.Of(d.HPrev.Pointer, P),
            Matrix.Of(d.Weights.WeightHh.GradPointer, P), beta: 1f);
        AccumulateBiasGradients(d.Gates.Pointer, d.Gates.Pointer, rows, GH, d.Weights.BiasIh, d.Weights.BiasHh);
        if (d.Weights.WeightHr != null)
            Gemm.Multiply(m: P, n: H, k: rows, Matrix.Of(d.DhP.Pointer, P).T, Matrix.Of(d.M.Pointer, H),
                Matrix.Of(d.Weights.WeightHr.GradPointer, H), beta: 1f);
    }
}
