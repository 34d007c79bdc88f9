namespace MklRnn.Core;

/// <summary>
/// Shape checks of caller-provided buffers: an ArgumentException that names the argument, the
/// expected shape and what came. Messages are built only on failure (no allocation on the hot path).
/// </summary>
internal static class Shapes
{
    /// <summary>Requires length == product(dims).</summary>
    public static void Require(string name, int length, ReadOnlySpan<int> dims, string meaning)
    {
        if (length != SizeMath.Product(dims, name)) Throw(name, length, dims, meaning, optional: false);
    }

    /// <summary>Requires an empty buffer or length == product(dims).</summary>
    public static void RequireOptional(string name, int length, ReadOnlySpan<int> dims, string meaning)
    {
        if (length != 0 && length != SizeMath.Product(dims, name)) Throw(name, length, dims, meaning, optional: true);
    }

    /// <summary>The element count of a shape: checked (see <see cref="SizeMath"/>), so a huge shape cannot wrap to a small one.</summary>
    public static long Product(ReadOnlySpan<int> dims) => SizeMath.Product(dims, "shape");

    public static string Format(ReadOnlySpan<int> dims) => "(" + string.Join(", ", dims.ToArray()) + ")";

    private static void Throw(string name, int length, ReadOnlySpan<int> dims, string meaning, bool optional) =>
        throw new ArgumentException(
            $"{name}: expected {Format(dims)} = {Product(dims)} floats {meaning}{(optional ? " (or empty)" : "")}, got {length} floats", name);
}
