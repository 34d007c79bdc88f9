namespace MklRnn.Core;

/// <summary>
/// The u8 quantization of one GEMM's activation block (per tensor, computed per call as PyTorch's
/// quantize_dynamic and ONNX Runtime's DynamicQuantizeLSTM do): x ~ Scale * (q - ZeroPoint), q in [0, Max].
/// The range always contains 0, so 0 (padding, zero states) is represented exactly; the quantization
/// error of an element inside the range is at most Scale / 2.
/// </summary>
internal readonly record struct ActivationQuantization(float Scale, int ZeroPoint, int Max)
{
    public float InverseScale => 1f / Scale;

    /// <summary>The parameters for values in [min, max] (NaN-free, from mklrnn_min_max) and codes 0..qmax; weights names the GEMM in errors.</summary>
    public static ActivationQuantization ForRange(float min, float max, int qmax, string weights)
    {
        if (!float.IsFinite(min) || !float.IsFinite(max))
            throw new InvalidOperationException(
                $"int8 inference: the input of {weights} holds a non-finite value (range [{min}, {max}]); quantization needs finite activations (use Precision.Float32)");
        double lo = Math.Min(min, 0.0), hi = Math.Max(max, 0.0);
        if (hi - lo < 1e-30) return new ActivationQuantization(1f, 0, qmax); // all zero
        float scale = (float)((hi - lo) / qmax);
        int zero = (int)Math.Clamp(Math.Round(-lo / scale, MidpointRounding.ToEven), 0, qmax);
        return new ActivationQuantization(scale, zero, qmax);
    }

    /// <summary>
    /// The fixed quantization of values known to lie in [-1, 1] (the state h of an LSTM without projection, of a
    /// tanh RNN): Scale = 1 / floor(qmax / 2), ZeroPoint = qmax - floor(qmax / 2), so [-1, 1] maps inside the codes
    /// (255: -1 -> 1, 0 -> 128, 1 -> 255) and 0 is exact. Known before h is computed, so the step kernel that
    /// writes h can write its u8 codes too; a per-call range is at most as wide for a trained model's h, so the
    /// step size stays ~2 / qmax.
    /// </summary>
    public static ActivationQuantization UnitRange(int qmax)
    {
        int half = qmax / 2;
        return new ActivationQuantization(1f / half, qmax - half, qmax);
    }
}
