namespace MklRnn.Layers.StepLoops;

/// <summary>The step loops a direction can run with (chosen by <see cref="StepLoopChooser"/>).</summary>
internal enum StepLoopKind
{
    /// <summary>One thread; MKL and the kernels split each step's work (<see cref="SerialSteps"/>).</summary>
    Serial,

    /// <summary>Two threads, each running every step of half the batch (<see cref="BatchSplitSteps"/>).</summary>
    BatchSplit,

    /// <summary>Two threads, each owning half of the hidden columns, meeting every step (<see cref="ColumnSplitSteps"/>).</summary>
    ColumnSplit,

    /// <summary>Inference with bf16/int8 GEMMs, one thread (<see cref="ReducedPrecisionSteps"/>).</summary>
    ReducedPrecision,

    /// <summary>Inference with bf16/int8 GEMMs, two threads each running every step of half the batch (<see cref="ReducedPrecisionBatchSplit"/>).</summary>
    ReducedPrecisionBatchSplit,
}
