namespace MklRnn.Tooling.PerfCompare;

/// <summary>How BytesAllocatedPerOperation moved between base and new.</summary>
public enum AllocationChange
{
    /// <summary>Equal bytes per operation.</summary>
    Same,

    /// <summary>Different bytes per operation.</summary>
    Changed,

    /// <summary>At least one side did not measure allocations (no MemoryDiagnoser).</summary>
    Unknown,
}
