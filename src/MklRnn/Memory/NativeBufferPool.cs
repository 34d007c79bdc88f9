namespace MklRnn.Memory;

/// <summary>
/// A process-wide pool of aligned native buffers in power-of-two size classes. Layers rent their
/// workspace here when a call needs more than they hold and give the old one back, so steady-state
/// calls of the same shape allocate nothing, and shapes that come and go reuse memory.
/// </summary>
internal static class NativeBufferPool
{
    private const int MaxPerClass = 8;
    private static readonly Stack<NativeBuffer>[] s_free = CreateClasses();
    private static long s_rented;

    private static Stack<NativeBuffer>[] CreateClasses()
    {
        var classes = new Stack<NativeBuffer>[32];
        for (int i = 0; i < classes.Length; i++) classes[i] = new Stack<NativeBuffer>();
        return classes;
    }

    /// <summary>Buffers rented and not yet returned (leak diagnostics; tests assert it returns to its start).</summary>
    public static long RentedCount => Interlocked.Read(ref s_rented);

    /// <summary>A zeroed buffer of at least <paramref name="length"/> floats (its Length is the size class).</summary>
    public static NativeBuffer Rent(long length)
    {
        // A backstop: callers size buffers through Core.SizeMath, which refuses larger ones with a clear error first.
        if (length > Core.SizeMath.MaxElements || length < 0) throw new OutOfMemoryException($"MklRnn work buffer of {length} floats requested");
        int cls = SizeClass((int)Math.Max(length, 1));
        NativeBuffer? buffer = null;
        lock (s_free[cls])
        {
            while (s_free[cls].Count > 0 && buffer == null)
            {
                NativeBuffer candidate = s_free[cls].Pop();
                if (!candidate.IsDisposed) buffer = candidate;
            }
        }
        if (buffer != null) buffer.Clear();
        else buffer = new NativeBuffer(1 << cls);
        Interlocked.Increment(ref s_rented);
        return buffer;
    }

    /// <summary>Gives a rented buffer back (null is ignored).</summary>
    public static void Return(NativeBuffer? buffer)
    {
        if (buffer == null || buffer.IsDisposed) return;
        Interlocked.Decrement(ref s_rented);
        int cls = SizeClass(buffer.Length);
        if (1 << cls != buffer.Length)
        {
            buffer.Dispose();
            return;
        }
        lock (s_free[cls])
        {
            if (s_free[cls].Count < MaxPerClass) { s_free[cls].Push(buffer); return; }
        }
        buffer.Dispose();
    }

    /// <summary>Frees every pooled (not rented) buffer.</summary>
    public static void Trim()
    {
        foreach (var stack in s_free)
            lock (stack)
                while (stack.Count > 0) stack.Pop().Dispose();
    }

    private static int SizeClass(int length)
    {
        int cls = 0;
        while ((1 << cls) < length) cls++;
        return cls;
    }
}
