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
    private static long s_liveBytes;
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
        Interlocked.Add(ref s_liveBytes, (long)bytes);
        // Tell the GC what this small object holds, so undisposed buffers are finalized before they add up
        // (5,000 undisposed stacks held 1.9 GB until an unrelated GC came).
        GC.AddMemoryPressure((long)bytes);
    }

    private long Bytes => (long)Math.Max(Length, 1) * sizeof(float);

    /// <summary>Number of floats.</summary>
    public int Length { get; }

    /// <summary>Buffers allocated and not yet disposed, process-wide (leak diagnostics).</summary>
    public static long LiveCount => Interlocked.Read(ref s_live);

    /// <summary>Bytes held by live buffers, process-wide.</summary>
    public static long LiveBytes => Interlocked.Read(ref s_liveBytes);

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
        Free(p);
        GC.SuppressFinalize(this);
    }

    ~NativeBuffer()
    {
        if (_pointer != null)
        {
            Free(_pointer);
            _pointer = null;
        }
    }

    private void Free(float* p)
    {
        NativeMemory.AlignedFree(p);
        Interlocked.Decrement(ref s_live);
        Interlocked.Add(ref s_liveBytes, -Bytes);
        GC.RemoveMemoryPressure(Bytes);
    }
}
