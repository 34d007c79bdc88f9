using MklRnn.Core;
using MklRnn.Interop;
using MklRnn.Layers;

namespace MklRnn.Cells;

/// <summary>
/// LSTM (gates i, f, g, o), with optional peepholes and projection (h = W_hr m, m = o * tanh(c)).
/// The recurrent product accumulates into the input projection (beta = 1), so one fused kernel
/// call adds the biases, applies the gates and updates c and h.
/// </summary>
internal sealed unsafe class LstmCell : Cell
{
    public override void Forward(LayerDirection d, int n, int o, int s, bool training)
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
        d.HhForward.Multiply(n, h, P, 1f, gates, GH);
        float* peep = d.Peephole != null ? d.Peephole.DataPointer : null;
        float* y = OutputRows(d, o);
        if (d.WeightHr == null)
        {
            Status.ThrowIfFailed(NativeShim.LstmForward(n, H, gates, GH, d.BiasIh.DataPointer, d.BiasHh.DataPointer, peep,
                c, H, c, H, h, H, y, d.LdY), "mklrnn_lstm_forward");
        }
        else
        {
            float* m = d.M.Pointer + (long)(training ? o : s) * H;
            Status.ThrowIfFailed(NativeShim.LstmForward(n, H, gates, GH, d.BiasIh.DataPointer, d.BiasHh.DataPointer, peep,
                c, H, c, H, m, H, null, 0), "mklrnn_lstm_forward");
            d.HrForward.Multiply(n, m, H, 0f, h, P); // h = m W_hr^T
            Rows.Copy(h, P, y, d.LdY, n, P);
        }
        if (training) Rows.Copy(c, H, d.C.Pointer + (long)o * H, H, n, H);
    }

    public override void Backward(LayerDirection d, int n, int o, int s)
    {
        int H = d.H, P = d.Hout, GH = d.GH;
        o += s;
        float* gates = d.Gates.Pointer + (long)o * GH;
        float* dh = d.DhState.Pointer + (long)s * P;
        float* dc = d.DcState.Pointer + (long)s * H;
        float* dy = OutputGradRows(d, o);
        float* peep = d.Peephole != null ? d.Peephole.DataPointer : null;
        float* dpeep = d.Peephole != null ? d.Peephole.GradPointer : null;
        float* cPrev = d.CPrev.Pointer + (long)o * H, c = d.C.Pointer + (long)o * H;
        if (d.WeightHr == null)
        {
            Status.ThrowIfFailed(NativeShim.LstmBackward(n, H, gates, GH, peep, cPrev, H, c, H, dh, H, dy, d.LdY,
                dc, H, gates, GH, dpeep), "mklrnn_lstm_backward");
        }
        else
        {
            // Gradient w.r.t. h (size P) of this row, kept for dW_hr; then through W_hr to m.
            float* dhp = d.DhP.Pointer + (long)o * P;
            Rows.Add(dh, P, dy, d.LdY, dhp, P, n, P);
            float* dm = d.Scratch.Pointer + (long)s * H;
            d.HrBackward.Multiply(n, dhp, P, 0f, dm, H); // dm = dh W_hr
            Status.ThrowIfFailed(NativeShim.LstmBackward(n, H, gates, GH, peep, cPrev, H, c, H, dm, H, null, 0,
                dc, H, gates, GH, dpeep), "mklrnn_lstm_backward");
        }
        d.HhBackward.Multiply(n, gates, GH, 0f, dh, P); // dh_{t-1} = dG W_hh
    }

    public override void AccumulateRecurrentGradients(LayerDirection d, int rows)
    {
        int H = d.H, P = d.Hout, GH = d.GH;
        Gemm.Multiply(m: GH, n: P, k: rows, Matrix.Of(d.Gates.Pointer, GH).T, Matrix.Of(d.HPrev.Pointer, P),
            Matrix.Of(d.WeightHh.GradPointer, P), beta: 1f);
        AccumulateBiasGradients(d.Gates.Pointer, d.Gates.Pointer, rows, GH, d.BiasIh, d.BiasHh);
        if (d.WeightHr != null)
            Gemm.Multiply(m: P, n: H, k: rows, Matrix.Of(d.DhP.Pointer, P).T, Matrix.Of(d.M.Pointer, H),
                Matrix.Of(d.WeightHr.GradPointer, H), beta: 1f);
    }
}
