using MklRnn.Distributed;

namespace MklRnn.Cli.CharLm;

/// <summary>A `train` invocation: architecture and settings for a new run, or a checkpoint to resume.</summary>
internal sealed record TrainOptions
{
    public string CheckpointPath { get; init; } = Path.Combine("runs", "charlm", "charlm.safetensors");

    /// <summary>Continue the run saved at <see cref="CheckpointPath"/> (architecture and settings come from it).</summary>
    public bool Resume { get; init; }

    /// <summary>Replace an existing checkpoint with a new run (without it a new run refuses an existing file).</summary>
    public bool Force { get; init; }

    /// <summary>Start a new run from this model file's (or checkpoint's) weights and vocabulary: fine-tuning.</summary>
    public string? InitFrom { get; init; }

    /// <summary>
    /// The flags given on the command line (e.g. "--lr"). With <see cref="Resume"/>, a given architecture flag that
    /// differs from the checkpoint is an error, a given training flag that differs is applied with a note; flags not
    /// given come from the checkpoint. Empty (the API's default): everything comes from the checkpoint.
    /// </summary>
    public IReadOnlySet<string> Given { get; init; } = new HashSet<string>();

    public CellKind Cell { get; init; } = CellKind.Lstm;
    public int Layers { get; init; } = 1;
    public int HiddenSize { get; init; } = 256;
    public int EmbeddingSize { get; init; } = 64;
    public float Dropout { get; init; }
    public TrainingSettings Settings { get; init; } = new();
    public TrainBudget Budget { get; init; } = new();

    /// <summary>Save a checkpoint every this many steps (0 = only at the end).</summary>
    public int CheckpointEvery { get; init; } = 500;

    /// <summary>Validate every this many steps besides each epoch's end (0 = at epoch ends only).</summary>
    public int EvalEvery { get; init; }

    /// <summary>Stop when this many validations in a row did not improve on the best (0 = never).</summary>
    public int EarlyStopPatience { get; init; }

    /// <summary>Stop (exit non-zero, nothing saved) after this many steps in a row with a non-finite loss or gradient norm.</summary>
    public int MaxSkippedSteps { get; init; } = 10;

    /// <summary>MKL threads (0 = MKL's default).</summary>
    public int Threads { get; init; }

    /// <summary>The processes of a data-parallel run (<c>--distributed</c>); one process by default.</summary>
    public ProcessGroup Group { get; init; } = ProcessGroup.Single;

    private string Stem => Path.ChangeExtension(CheckpointPath, null);

    /// <summary>The loss-curve SVG written beside the checkpoint.</summary>
    public string PlotPath => Stem + ".loss.svg";

    /// <summary>The model of the best validation perplexity so far (a model file: eval and sample read it).</summary>
    public string BestPath => Stem + ".best.safetensors";

    /// <summary>One row per step: see <see cref="MetricsCsv"/>.</summary>
    public string MetricsPath => Stem + ".metrics.csv";
}
