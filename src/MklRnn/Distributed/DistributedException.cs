namespace MklRnn.Distributed;

/// <summary>A failure of distributed training: no MPI library, a launch without mpirun, ranks that disagree.</summary>
public sealed class DistributedException(string message, Exception? inner = null) : Exception(message, inner);
