namespace MklRnn.Cells;

/// <summary>
/// Where a direction reads or writes its rows of a layer-wide (R, D*Hout) buffer (the layer output or
/// its gradient): the first row already offset to this direction's columns, and the row stride.
/// Passed explicitly to every step, so no cell reads a pointer set from outside.
/// </summary>
internal readonly unsafe struct LayerRows(float* first, int stride)
{
    public float* First { get; } = first;
    public int Stride { get; } = stride;

    /// <summary>Packed row r.</summary>
    public float* Row(long r) => First + r * Stride;

    /// <summary>Direction d's columns of a (rows, width) buffer whose directions sit side by side, Hout wide each.</summary>
    public static LayerRows OfDirection(float* buffer, int width, int direction, int hout) => new(buffer + (long)direction * hout, width);
}
