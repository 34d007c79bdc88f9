using MklRnn.Memory;

namespace MklRnn;

/// <summary>
/// A named trainable tensor (PyTorch name and shape) with its gradient, both in aligned native memory.
/// <see cref="Version"/> counts writable accesses to <see cref="Data"/>: a layer that caches a
/// derived form of the weights (packed GEMM operands) rebuilds it when the version moved.
/// </summary>
public sealed unsafe class Parameter : IDisposable
{
    private readonly NativeBuffer _data;
    private readonly NativeBuffer _grad;
    private readonly int[] _shape;

    public Parameter(string name, params int[] shape)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        foreach (int d in shape)
            if (d < 0) throw new ArgumentOutOfRangeException(nameof(shape), $"parameter '{name}': negative dimension {d}");
        long length = Core.SizeMath.Product(shape, nameof(shape));
        if (length > Core.SizeMath.MaxElements) throw new ArgumentOutOfRangeException(nameof(shape), $"parameter '{name}' is too large ({length} elements)");
        Name = name;
        _shape = (int[])shape.Clone();
        _data = new NativeBuffer((int)length);
        _grad = new NativeBuffer((int)length);
    }

    public string Name { get; }

    /// <summary>Dimensions, row-major (PyTorch's order).</summary>
    public ReadOnlySpan<int> Shape => _shape;

    public int Length => _data.Length;

    /// <summary>Values, writable. Each access counts as a modification (bumps <see cref="Version"/>).</summary>
    public Span<float> Data
    {
        get
        {
            Version++;
            return _data.Span;
        }
    }

    /// <summary>Values, read only (does not bump <see cref="Version"/>).</summary>
    public ReadOnlySpan<float> Values => _data.Span;

    /// <summary>Accumulated gradient; backward passes add to it, <see cref="ZeroGrad"/> clears it.</summary>
    public Span<float> Grad => _grad.Span;

    /// <summary>Incremented on every writable access to the values.</summary>
    public int Version { get; private set; }

    internal float* DataPointer => _data.Pointer;
    internal float* GradPointer => _grad.Pointer;

    /// <summary>Records a change made through <see cref="DataPointer"/> (optimizers).</summary>
    internal void MarkModified() => Version++;

    public void ZeroGrad() => _grad.Clear();

    public string ShapeText => "(" + string.Join(", ", _shape) + ")";

    public override string ToString() => $"{Name} {ShapeText}";

    public void Dispose()
    {
        _data.Dispose();
        _grad.Dispose();
    }
}
