namespace MklRnn.Memory;

/// <summary>
/// A named, grow-only work buffer rented from <see cref="NativeBufferPool"/>: <see cref="Ensure"/>
/// keeps the buffer when it is large enough (no allocation) and swaps in a larger one otherwise.
/// </summary>
internal sealed unsafe class Workspace : IDisposable
{
    private NativeBuffer? _buffer;

    public Workspace(string name) => Name = name;

    public string Name { get; }

    /// <summary>Capacity in floats (0 before the first Ensure).</summary>
    public int Capacity => _buffer?.Length ?? 0;

    /// <summary>Makes room for <paramref name="length"/> floats and returns the start. Contents are kept only when no growth happens.</summary>
    public float* Ensure(long length)
    {
        if (_buffer == null || _buffer.Length < length)
        {
            NativeBufferPool.Return(_buffer);
            _buffer = NativeBufferPool.Rent(length);
        }
        return _buffer.Pointer;
    }

    public float* Pointer => (_buffer ?? throw new InvalidOperationException($"workspace {Name} was never sized")).Pointer;

    public void Dispose()
    {
        NativeBufferPool.Return(_buffer);
        _buffer = null;
    }
}
