namespace MklRnn.Distributed;

/// <summary>
/// The processes of a data-parallel training job (PyTorch's term): each holds a full copy of the model,
/// computes the gradients of its own share of the global batch, and the gradients are averaged over all
/// of them before every optimizer step, so every process takes the same step. <see cref="Single"/> is the
/// one-process group (every collective is the identity); <see cref="StartMpi"/> joins the MPI job this
/// process was launched in. Collectives must be called by every process, in the same order.
/// </summary>
public abstract class ProcessGroup : IDisposable
{
    /// <summary>The group of this process alone.</summary>
    public static ProcessGroup Single { get; } = new SingleProcessGroup();

    /// <summary>This process's index, 0 .. Size-1; 0 is the one that writes files and prints.</summary>
    public abstract int Rank { get; }

    /// <summary>Number of processes in the job.</summary>
    public abstract int Size { get; }

    /// <summary>Number of processes of the job on this host (for the default thread count).</summary>
    public abstract int LocalSize { get; }

    public bool IsRoot => Rank == 0;

    /// <summary>True when this process was started by an MPI launcher (mpirun / mpiexec / srun).</summary>
    public static bool LaunchedByMpi => LauncherVariables.Any(v => Environment.GetEnvironmentVariable(v) != null);

    /// <summary>Environment variables MPI launchers set (MPICH/Intel MPI hydra, PMIx, Open MPI, Slurm).</summary>
    public static readonly string[] LauncherVariables = ["PMI_RANK", "PMI_SIZE", "PMIX_RANK", "OMPI_COMM_WORLD_SIZE", "SLURM_PROCID"];

    /// <summary>Initialises MPI (MPICH ABI) and returns the world group; throws <see cref="DistributedException"/> when not launched by MPI or no library loads.</summary>
    public static ProcessGroup StartMpi()
    {
        if (!LaunchedByMpi)
            throw new DistributedException($"this process was not started by an MPI launcher (none of {string.Join(", ", LauncherVariables)} is set)");
        MpiLibrary.Load();
        MpiLibrary.Init();
        return new MpiProcessGroup();
    }

    /// <summary>Seconds this process spent combining gradients so far (copies and all-reduces): the communication share.</summary>
    public virtual double GradientSeconds => 0;

    /// <summary>Replaces every parameter's gradient by its mean over the group.</summary>
    public void AverageGradients(IReadOnlyList<Parameter> parameters) => SumGradients(parameters, 1f / Size);

    /// <summary>
    /// Replaces every parameter's gradient g by the sum over the group of weight x g, each process giving its own
    /// weight: with weight = (this process's tokens / all tokens) the per-process mean gradients combine into the
    /// gradient of the mean over all tokens, however unevenly the tokens were split.
    /// </summary>
    public abstract void SumGradients(IReadOnlyList<Parameter> parameters, float weight);

    /// <summary>Element-wise sum over the group, in place.</summary>
    public abstract void Sum(Span<double> values);

    /// <summary>Element-wise sum over the group, in place.</summary>
    public abstract void Sum(Span<float> values);

    /// <summary>The largest of a value over the group (one all-reduce).</summary>
    public abstract long Max(long value);

    /// <summary>(min, max) of a value over the group; min as -max(-value), so value must not be long.MinValue.</summary>
    public (long Min, long Max) MinMax(long value) => (-Max(-value), Max(value));

    /// <summary>True on every process when it is true on any: a decision all processes take together (one all-reduce, every training step).</summary>
    public bool Any(bool value) => Max(value ? 1 : 0) == 1;

    /// <summary>
    /// Checks that every process holds the same parameter values (same seed, data and architecture):
    /// a hash of the values' bits is compared over the group. Throws on a mismatch, on every process.
    /// </summary>
    public void CheckSameParameters(IReadOnlyList<Parameter> parameters, string what)
    {
        long hash = ParameterHash(parameters);
        var (min, max) = MinMax(hash);
        if (min != max)
            throw new DistributedException($"{what} differ between ranks (this is rank {Rank} of {Size}; parameter hash {hash:X16}, "
                + $"the group's range {min:X16} .. {max:X16}): every rank must build the model from the same seed, architecture and checkpoint");
    }

    /// <summary>FNV-1a over the bits of every value, in order: equal on two processes iff (almost surely) the values are.</summary>
    public static long ParameterHash(IReadOnlyList<Parameter> parameters)
    {
        ulong h = 14695981039346656037UL;
        foreach (Parameter p in parameters)
            foreach (float v in p.Values)
            {
                h ^= (uint)BitConverter.SingleToInt32Bits(v);
                h *= 1099511628211UL;
            }
        return (long)(h >> 1); // non-negative, so min/max compare as hashes
    }

    /// <summary>Ends the whole job with <paramref name="exitCode"/> (after the caller printed why); on one process, the process.</summary>
    public abstract void Abort(int exitCode);

    public virtual void Dispose() => GC.SuppressFinalize(this);

    private sealed class SingleProcessGroup : ProcessGroup
    {
        public override int Rank => 0;
        public override int Size => 1;
        public override int LocalSize => 1;
        public override void SumGradients(IReadOnlyList<Parameter> parameters, float weight)
        {
            if (weight == 1f) return;
            foreach (Parameter p in parameters)
            {
                Span<float> g = p.Grad;
                for (int i = 0; i < g.Length; i++) g[i] *= weight;
            }
        }
        public override void Sum(Span<double> values) { }
        public override void Sum(Span<float> values) { }
        public override long Max(long value) => value;
        public override void Abort(int exitCode) => Environment.Exit(exitCode);
        public override void Dispose() { } // the shared instance is never finished
    }
}
