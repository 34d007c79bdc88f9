using MklRnn.Cells;
using MklRnn.Core;

namespace MklRnn.Layers.StepLoops;

/// <summary>The two GEMMs of a direction against W_ih, over a block of rows, for every step loop and the stepped API.</summary>
internal static unsafe class InputGemms
{
    /// <summary>Columns [c0, c1) of gates (rows, G*H) = x (rows, I) W_ih[c0..c1)^T.</summary>
    public static void Project(LayerDirection ld, float* x, int rows, float* gates, int c0, int c1) =>
        Gemm.Multiply(m: rows, n: c1 - c0, k: ld.I,
            Matrix.Of(x, ld.I), Matrix.Of(ld.Weights.WeightIh.DataPointer + (long)c0 * ld.I, ld.I).T, Matrix.Of(gates + c0, ld.GH));

    /// <summary>All gate columns: gates (rows, G*H) = x (rows, I) W_ih^T.</summary>
    public static void Project(LayerDirection ld, float* x, int rows, float* gates) => Project(ld, x, rows, gates, 0, ld.GH);

    /// <summary>dx (rows, I) = dG (rows, G*H) W_ih.</summary>
    public static void InputGradient(LayerDirection ld, float* dGates, int rows, float* dx) =>
        Gemm.Multiply(m: rows, n: ld.I, k: ld.GH,
            Matrix.Of(dGates, ld.GH), Matrix.Of(ld.Weights.WeightIh.DataPointer, ld.I), Matrix.Of(dx, ld.I));
}
