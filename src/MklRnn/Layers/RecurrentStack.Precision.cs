using MklRnn.Cells;
using MklRnn.Core;
using MklRnn.Threading;

namespace MklRnn.Layers;

/// <summary>The precision of inference <see cref="RecurrentStack.Forward"/> (docs/precision.md).</summary>
public sealed unsafe partial class RecurrentStack
{
    private ReducedPrecisionCell[]? _reduced; // [layer * D + direction], null at float32

    /// <summary>The arithmetic of inference Forward calls: set once by <see cref="PrepareInference"/>; Float32 by default.</summary>
    public Precision Precision { get; private set; } = Precision.Float32;

    /// <summary>
    /// Chooses the arithmetic of the following inference Forward calls. BFloat16 and Int8 convert (and pack) the
    /// weights at the first Forward, and again only when a parameter changes; state and gate math stay float32.
    /// Inference Forward and inference stepping (BeginSteps/Step) use it; training (Forward or BeginSteps with
    /// training = true) needs Float32 and throws otherwise.
    /// </summary>
    public void PrepareInference(Precision precision)
    {
        using CallGuard.Scope call = _guard.Enter(nameof(PrepareInference));
        if (!Enum.IsDefined(precision)) throw new ArgumentOutOfRangeException(nameof(precision), precision, "expected Float32, BFloat16 or Int8");
        DisposeReduced();
        // Decide the u8 activation range (MKL's saturation probe) here, once, not inside a direction's thread.
        if (precision == Precision.Int8) _ = Int8Weights.ActivationMax;
        if (precision != Precision.Float32)
            _reduced = _cells.Select(_ => new ReducedPrecisionCell(precision, Config)).ToArray();
        _runner.Reduced = _reduced;
        Precision = precision;
    }

    /// <summary>Training and stepping run float32 only; a stack prepared for another precision says so.</summary>
    private void RequireFloat32(string what)
    {
        if (Precision != Precision.Float32)
            throw new InvalidOperationException(
                $"{what} runs in float32 only; this stack is prepared for {Precision} inference: call PrepareInference(Precision.Float32) first");
    }

    private void DisposeReduced()
    {
        if (_reduced != null)
            foreach (ReducedPrecisionCell c in _reduced) c.Dispose();
        _reduced = null;
        _runner.Reduced = null;
    }
}
