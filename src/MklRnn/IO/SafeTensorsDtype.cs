namespace MklRnn.IO;

/// <summary>Element types of the safetensors format, spelled as in the JSON header (e.g. <c>"F32"</c>).</summary>
public enum SafeTensorsDtype
{
    F64,
    F32,
    F16,
    BF16,
    I64,
    I32,
    I16,
    I8,
    U64,
    U32,
    U16,
    U8,
    BOOL,
    F8_E4M3,
    F8_E5M2,
}

/// <summary>Size and spelling of <see cref="SafeTensorsDtype"/> values.</summary>
public static class SafeTensorsDtypes
{
    /// <summary>Bytes per element.</summary>
    public static int ElementSize(this SafeTensorsDtype dtype) => dtype switch
    {
        SafeTensorsDtype.F64 or SafeTensorsDtype.I64 or SafeTensorsDtype.U64 => 8,
        SafeTensorsDtype.F32 or SafeTensorsDtype.I32 or SafeTensorsDtype.U32 => 4,
        SafeTensorsDtype.F16 or SafeTensorsDtype.BF16 or SafeTensorsDtype.I16 or SafeTensorsDtype.U16 => 2,
        SafeTensorsDtype.I8 or SafeTensorsDtype.U8 or SafeTensorsDtype.BOOL
            or SafeTensorsDtype.F8_E4M3 or SafeTensorsDtype.F8_E5M2 => 1,
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "unknown dtype"),
    };

    /// <summary>The header spelling, e.g. <c>"BF16"</c>.</summary>
    public static string ToHeaderString(this SafeTensorsDtype dtype) => dtype.ToString();

    /// <summary>
    /// Exact, case-sensitive parse of a header dtype string. Not <see cref="Enum.TryParse{TEnum}(string, out TEnum)"/>:
    /// that would also accept "f32" or "1".
    /// </summary>
    public static bool TryParse(string? text, out SafeTensorsDtype dtype)
    {
        foreach (SafeTensorsDtype d in Enum.GetValues<SafeTensorsDtype>())
        {
            if (string.Equals(text, d.ToString(), StringComparison.Ordinal))
            {
                dtype = d;
                return true;
            }
        }
        dtype = default;
        return false;
    }
}
