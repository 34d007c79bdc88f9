namespace MklRnn;

/// <summary>
/// The arithmetic of a stack's inference GEMMs, chosen once when the weights are prepared
/// (<see cref="Layers.RecurrentStack.PrepareInference"/>), never per call. State (h, c), the gate math
/// and accumulation stay float32 in every mode; training is always float32. See docs/precision.md.
/// </summary>
public enum Precision
{
    /// <summary>float32 GEMMs (the default, and the only mode for training).</summary>
    Float32,
    /// <summary>bfloat16 weights and GEMM inputs (round to nearest even), float32 accumulation (cblas_gemm_bf16bf16f32).</summary>
    BFloat16,
    /// <summary>
    /// Dynamic quantization: int8 weights, symmetric per output channel; u8 activations with a per-tensor scale
    /// and zero point computed per GEMM call; int32 accumulation (cblas_gemm_s8u8s32).
    /// </summary>
    Int8,
}
