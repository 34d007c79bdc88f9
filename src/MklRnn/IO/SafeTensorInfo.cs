namespace MklRnn.IO;

/// <summary>
/// One tensor entry of a safetensors header, already validated.
/// <see cref="DataBegin"/>/<see cref="DataEnd"/> are the header's <c>data_offsets</c>: byte offsets
/// counted from the first byte after the header (see <see cref="SafeTensorsFile.DataSectionOffset"/>).
/// </summary>
/// <param name="Name">Tensor name (the JSON key).</param>
/// <param name="Dtype">Element type.</param>
/// <param name="Shape">Dimensions, row-major; empty for a scalar. Do not modify.</param>
/// <param name="ElementCount">Product of <paramref name="Shape"/> (1 for a scalar).</param>
/// <param name="DataBegin">First byte, relative to the data section.</param>
/// <param name="DataEnd">One past the last byte, relative to the data section.</param>
public sealed record SafeTensorInfo(
    string Name, SafeTensorsDtype Dtype, int[] Shape, long ElementCount, long DataBegin, long DataEnd)
{
    /// <summary>Bytes the tensor occupies (<c>ElementCount * element size</c>).</summary>
    public long ByteLength => DataEnd - DataBegin;

    /// <summary>The shape as text, e.g. <c>(64, 8)</c> or <c>()</c> for a scalar.</summary>
    public string ShapeText => FormatShape(Shape);

    internal static string FormatShape(ReadOnlySpan<int> shape)
    {
        var parts = new string[shape.Length];
        for (int i = 0; i < shape.Length; i++) parts[i] = shape[i].ToString(System.Globalization.CultureInfo.InvariantCulture);
        return "(" + string.Join(", ", parts) + ")";
    }

    public override string ToString() => $"{Name}: {Dtype} {ShapeText} bytes [{DataBegin}, {DataEnd})";
}
