using MklRnn.CharLm;


namespace MklRnn.Cli.CharLm;

/// <summary>
/// Everything that decides a training run's trajectory besides the architecture: a resumed run takes these
/// from its checkpoint, so it continues exactly as the uninterrupted run would have.
/// </summary>
internal sealed record TrainingSettings
{
    public int BatchSize { get; init; } = 32;
    public int SeqLength { get; init; } = 64;
    public float LearningRate { get; init; } = 5e-3f;

    /// <summary>"adam" or "sgd" (SGD with momentum 0.9).</summary>
    public string Optimizer { get; init; } = "adam";

    /// <summary>Global gradient-norm clip; 0 = no clipping.</summary>
    public float ClipNorm { get; init; } = 1f;

    public int Seed { get; init; } = 1;

    /// <summary>The text trained on: a path, or null for the default corpus.</summary>
    public string? TextPath { get; init; }

    /// <summary>Fingerprint of that text (a resume on other text is refused).</summary>
    public string TextFingerprint { get; init; } = "";

    public void Validate()
    {
        if (BatchSize < 1) throw new CharLmException($"--batch-size must be >= 1, got {BatchSize}");
        if (SeqLength < 1) throw new CharLmException($"--seq-length must be >= 1, got {SeqLength}");
        if (!(LearningRate > 0) || !float.IsFinite(LearningRate)) throw new CharLmException($"--lr must be a positive number, got {LearningRate}");
        if (Optimizer is not ("adam" or "sgd")) throw new CharLmException($"--optimizer must be adam or sgd, got '{Optimizer}'");
        if (!(ClipNorm >= 0) || !float.IsFinite(ClipNorm)) throw new CharLmException($"--clip must be >= 0 (0 = off), got {ClipNorm}");
    }
}

/// <summary>Where a run is: steps, epoch and chunk within it, the loss history, the carried recurrent state.</summary>
internal sealed class TrainingProgress
{
    /// <summary>Optimizer steps taken (one per chunk).</summary>
    public long Step { get; set; }

    /// <summary>Completed epochs.</summary>
    public int Epoch { get; set; }

    /// <summary>The next chunk of the current epoch.</summary>
    public int Chunk { get; set; }

    /// <summary>Training seconds over all sessions of this run.</summary>
    public double ElapsedSeconds { get; set; }

    /// <summary>Mean training loss (nats per character) of every step, in order.</summary>
    public List<double> TrainLoss { get; } = [];

    /// <summary>Validation mean loss at the steps it was measured.</summary>
    public List<(long Step, double Loss)> Validation { get; } = [];

    /// <summary>The recurrent state carried into the next chunk (h, then c for LSTM), or null for zeros.</summary>
    public float[]? State { get; set; }
}
