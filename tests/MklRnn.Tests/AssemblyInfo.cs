// Tests run one at a time: MKL's thread pool and the process-wide buffer-pool counters are shared,
// and two cores gain little from running test classes side by side.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
