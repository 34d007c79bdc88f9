using System.Runtime.InteropServices;

namespace MklRnn.Memory;

/// <summary>
/// A block of 64-byte aligned native float32 memory (pinned by nature: the GC never moves it),
/// the unit every work buffer, weight and gradient of MklRnn lives in.
/// Disposal is idempotent; using a disposed buffer throws <see cref="ObjectDisposedException"/>.
/// </summary>
internal sealed unsafe class NativeBuffer : IDisposable
{
    /// <summary>Alignment of every buffer in bytes: one cache line, and whole AVX-512 vectors.</summary>
    public const int Alignment = 64;

    private static long s_live;
    private float* _pointer;

    /// <summary>Allocates <paramref name="length"/> floats, zeroed.</summary>
    public NativeBuffer(int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        Length = length;
        // Never a zero-byte allocation: keeps Pointer valid (and aligned) for empty buffers.
        nuint bytes = (nuint)Math.Max(length, 1) * sizeof(float);
        _pointer = (float*)NativeMemory.AlignedAlloc(bytes, Alignment);
        NativeMemory.Clear(_pointer, bytes);
        Interlocked.Increment(ref s_live);
    }

    /// <summary>Number of floats.</summary>
    public int Length { get; }

    /// <summary>Buffers allocated and not yet disposed, process-wide (leak diagnostics).</summary>
    public static long LiveCount => Interlocked.Read(ref s_live);

    public bool IsDisposed => _pointer == null;

    public Span<float> Span => new(Pointer, Length);

    /// <summary>The first element; throws once disposed.</summary>
    internal float* Pointer
    {
        get
        {
            ObjectDisposedException.ThrowIf(_pointer == null, this);
            return _pointer;
        }
    }

    public void Clear() => NativeMemory.Clear(Pointer, (nuint)Length * sizeof(float));

    public void Dispose()
    {
        float* p = _pointer;
        if (p == null) return;
        _pointer = null;
        NativeMemory.AlignedFree(p);
        Interlocked.Decrement(ref s_live);
        GC.SuppressFinalize(this);
    }

    ~NativeBuffer()
    {
        if (_pointer != null)
        {
            NativeMemory.AlignedFree(_pointer);
            _pointer = null;
            Interlocked.Decrement(ref s_live);
        }
    }
}
