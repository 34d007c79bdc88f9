using System.CommandLine;
using static MklRnn.Cli.CliOption;

namespace MklRnn.Cli;

/// <summary>
/// The flags the worked training examples (`seq2seq train`, `classify train`) share, declared once so their names,
/// descriptions and ranges cannot drift apart; each verb passes its own defaults.
/// </summary>
internal static class TrainingFlags
{
    public static Option<string> Checkpoint() =>
        new Option<string>("--checkpoint") { Description = "checkpoint to write (.safetensors)", Required = true }.WithOldName("--out");

    public static Option<bool> Force() =>
        new("--force") { Description = "replace an existing --checkpoint with a new run" };

    public static Option<int> EvalEvery(int defaultValue) =>
        Ranged("--eval-every", "steps between held-out evaluations (0: only at the end)", defaultValue, 0, int.MaxValue);

    public static Option<float> LearningRate(float defaultValue) =>
        Ranged("--lr", "Adam learning rate (cosine decay to 5%)", defaultValue, 0f, CliLimits.MaxRate, minExclusive: true);

    public static Option<int> Seed(int defaultValue) =>
        Ranged("--seed", "seed of the weights and of the data", defaultValue, 0, int.MaxValue);

    public static Option<int> Embedding(int defaultValue) =>
        Ranged("--embedding", "embedding size", defaultValue, 1, CliLimits.MaxWidth);

    public static Option<double> MinAccuracy() =>
        Ranged("--min-accuracy", "exit 1 when the final held-out accuracy is below this", 0.0, 0.0, 1.0);
}
