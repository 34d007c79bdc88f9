namespace MklRnn.Cli;

/// <summary>
/// Upper bounds shared by the verbs' numeric flags (docs/cli.md). Generous for real use, small enough that the
/// buffers they size stay far from 32-bit overflow and from allocating the machine's memory by a typo.
/// </summary>
internal static class CliLimits
{
    public const int MaxLayers = 64;

    /// <summary>Hidden, embedding and input sizes.</summary>
    public const int MaxWidth = 16_384;

    /// <summary>Time steps of one sequence or chunk.</summary>
    public const int MaxSteps = 100_000;

    public const int MaxBatch = 65_536;
    public const int MaxThreads = 1024;

    /// <summary>Learning rates and clipping norms (a huge rate is allowed: divergence handling is the trainer's job).</summary>
    public const float MaxRate = 1e30f;

    public const float MaxDropout = 0.99f;

    /// <summary>Time budgets, in seconds (a year).</summary>
    public const double MaxSeconds = 31_536_000;

    /// <summary>Optimizer steps of a run (and step counts of schedules).</summary>
    public const long MaxTrainSteps = 1_000_000_000_000;

    /// <summary>Characters or tokens one generation or decode may produce.</summary>
    public const int MaxGenerated = 1_000_000;
}
