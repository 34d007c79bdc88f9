using MklRnn.Distributed;

namespace MklRnn.Cli.CharLm;

/// <summary>A `train` invocation: architecture and settings for a new run, or a checkpoint to resume.</summary>
internal sealed record TrainOptions
{
    public string CheckpointPath { get; init; } = Path.Combine("runs", "charlm", "charlm.safetensors");

    /// <summary>Continue the run saved at <see cref="CheckpointPath"/> (architecture and settings come from it).</summary>
    public bool Resume { get; init; }

    public CellKind Cell { get; init; } = CellKind.Lstm;
    public int Layers { get; init; } = 1;
    public int HiddenSize { get; init; } = 256;
    public int EmbeddingSize { get; init; } = 64;
    public float Dropout { get; init; }
    public TrainingSettings Settings { get; init; } = new();
    public TrainBudget Budget { get; init; } = new();

    /// <summary>Save a checkpoint every this many steps (0 = only at the end).</summary>
    public int CheckpointEvery { get; init; } = 500;

    /// <summary>MKL threads (0 = MKL's default).</summary>
    public int Threads { get; init; }

    /// <summary>The processes of a data-parallel run (<c>--distributed</c>); one process by default.</summary>
    public ProcessGroup Group { get; init; } = ProcessGroup.Single;

    /// <summary>The loss-curve SVG written beside the checkpoint.</summary>
    public string PlotPath => Path.ChangeExtension(CheckpointPath, null) + ".loss.svg";
}
