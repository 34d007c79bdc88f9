using MklRnn.Memory;

namespace MklRnn.Distributed;

/// <summary>
/// MPI_COMM_WORLD as a <see cref="ProcessGroup"/>. Gradients are averaged through one flat, pooled native
/// buffer (in buckets of at most <see cref="DefaultBucketFloats"/> (16 MiB) values): copy in scaled by the process's weight, one
/// MPI_Allreduce per bucket, copy back. One large message instead of one per tensor: latency is paid once per bucket,
/// and MPI's reduction runs over contiguous memory.
/// </summary>
internal sealed unsafe class MpiProcessGroup : ProcessGroup
{
    /// <summary>At most 16 MiB per all-reduce: bounds the extra memory and keeps messages large.</summary>
    public const int DefaultBucketFloats = 4 << 20;

    /// <summary>Environment variable overriding the bucket size in floats (tests use a small one to split tensors over buckets).</summary>
    public const string BucketVariable = "MKLRNN_ALLREDUCE_BUCKET_FLOATS";

    private readonly int _bucketFloats = int.TryParse(Environment.GetEnvironmentVariable(BucketVariable), out int n) && n > 0 ? n : DefaultBucketFloats;

    private NativeBuffer? _bucket;
    private bool _finished;

    public MpiProcessGroup()
    {
        Rank = MpiLibrary.Rank();
        Size = MpiLibrary.Size();
        LocalSize = LocalProcesses() ?? Size;
    }

    public override int Rank { get; }
    public override int Size { get; }
    public override int LocalSize { get; }

    private double _gradientSeconds;

    public override double GradientSeconds => _gradientSeconds;

    public override void SumGradients(IReadOnlyList<Parameter> parameters, float weight)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        long start = System.Diagnostics.Stopwatch.GetTimestamp();
        _bucket ??= NativeBufferPool.Rent(_bucketFloats);
        int filled = 0, first = 0, firstOffset = 0; // bucket content starts at parameters[first].Grad[firstOffset..]
        for (int i = 0; i < parameters.Count; i++)
        {
            Span<float> grad = parameters[i].Grad;
            int offset = 0;
            while (offset < grad.Length)
            {
                int n = Math.Min(grad.Length - offset, _bucketFloats - filled);
                Scale(grad.Slice(offset, n), weight, _bucket.Span.Slice(filled, n));
                filled += n;
                offset += n;
                if (filled == _bucketFloats)
                {
                    ReduceAndScatterBack(parameters, first, firstOffset, filled);
                    filled = 0;
                    (first, firstOffset) = offset == grad.Length ? (i + 1, 0) : (i, offset);
                }
            }
        }
        if (filled > 0) ReduceAndScatterBack(parameters, first, firstOffset, filled);
        _gradientSeconds += System.Diagnostics.Stopwatch.GetElapsedTime(start).TotalSeconds;
    }

    private static void Scale(ReadOnlySpan<float> source, float weight, Span<float> target)
    {
        for (int j = 0; j < source.Length; j++) target[j] = source[j] * weight;
    }

    /// <summary>All-reduces the bucket's first <paramref name="count"/> values and writes them back to the gradients they came from.</summary>
    private void ReduceAndScatterBack(IReadOnlyList<Parameter> parameters, int first, int firstOffset, int count)
    {
        MpiLibrary.AllreduceInPlace(_bucket!.Pointer, count, MpiLibrary.Float, MpiLibrary.OpSum);
        ReadOnlySpan<float> reduced = _bucket.Span[..count];
        int i = first, offset = firstOffset, at = 0;
        while (at < count)
        {
            Span<float> grad = parameters[i].Grad;
            int n = Math.Min(grad.Length - offset, count - at);
            reduced.Slice(at, n).CopyTo(grad.Slice(offset, n));
            at += n;
            i++;
            offset = 0;
        }
    }

    public override void Sum(Span<double> values)
    {
        fixed (double* p = values) MpiLibrary.AllreduceInPlace(p, values.Length, MpiLibrary.Double, MpiLibrary.OpSum);
    }

    public override void Sum(Span<float> values)
    {
        fixed (float* p = values) MpiLibrary.AllreduceInPlace(p, values.Length, MpiLibrary.Float, MpiLibrary.OpSum);
    }

    public override long Max(long value)
    {
        MpiLibrary.AllreduceInPlace(&value, 1, MpiLibrary.LongLong, MpiLibrary.OpMax);
        return value;
    }

    public override void Abort(int exitCode)
    {
        Console.Error.Flush();
        Console.Out.Flush();
        // MPICH's launcher forwards a rank's stderr through a pipe it polls, and MPI_Abort makes it kill the job at
        // once: the line just written could be dropped (seen in the tests). A short pause lets it be forwarded.
        Thread.Sleep(300);
        MpiLibrary.Abort(exitCode);
        Environment.Exit(exitCode); // MPI_Abort returned: no launcher to end the others
    }

    /// <summary>Processes on this host, as the launcher tells (hydra: MPI_LOCALNRANKS; Open MPI; Slurm), or null.</summary>
    private static int? LocalProcesses()
    {
        foreach (string name in new[] { "MPI_LOCALNRANKS", "OMPI_COMM_WORLD_LOCAL_SIZE", "SLURM_NTASKS_PER_NODE" })
            if (int.TryParse(Environment.GetEnvironmentVariable(name), out int n) && n > 0) return n;
        return null;
    }

    public override void Dispose()
    {
        if (_finished) return;
        _finished = true;
        NativeBufferPool.Return(_bucket);
        _bucket = null;
        MpiLibrary.FinalizeMpi();
    }
}
