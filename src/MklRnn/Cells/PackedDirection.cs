using MklRnn.Core;

namespace MklRnn.Cells;

/// <summary>
/// The packed GEMM forms of one direction's recurrent weights, for A operands of up to MaxRows rows.
/// Replaced (never resized in place) when a call needs more rows, so a call that holds a set keeps
/// valid memory while another call on the same weights grows it; a replaced set is freed by its
/// finalizers once no call holds it.
/// </summary>
internal sealed class PackedDirection(int maxRows) : IDisposable
{
    public int MaxRows { get; } = Math.Max(maxRows, 1);

    /// <summary>W_hh as B of h W_hh^T (forward); for the original GRU, rows [0, 2H) only (W_hrz).</summary>
    public readonly PackedWeights HhForward = new();
    /// <summary>Original GRU: rows [2H, 3H) of W_hh (W_hn), as B of (r*h) W_hn^T.</summary>
    public readonly PackedWeights HnForward = new();
    /// <summary>LSTM projection: W_hr as B of m W_hr^T.</summary>
    public readonly PackedWeights HrForward = new();
    /// <summary>Backward: W_hh as B of dG W_hh (original GRU: W_hrz).</summary>
    public readonly PackedWeights HhBackward = new();
    /// <summary>Backward, original GRU: W_hn as B of dn W_hn.</summary>
    public readonly PackedWeights HnBackward = new();
    /// <summary>Backward, LSTM projection: W_hr as B of dh W_hr.</summary>
    public readonly PackedWeights HrBackward = new();

    public void Dispose()
    {
        HhForward.Dispose();
        HnForward.Dispose();
        HrForward.Dispose();
        HhBackward.Dispose();
        HnBackward.Dispose();
        HrBackward.Dispose();
    }
}
