using System.Globalization;
using MklRnn.CharLm;
using MklRnn.IO;
using MklRnn.Training;

namespace MklRnn.Cli.CharLm;

/// <summary>
/// A training checkpoint: the model file (see <see cref="CharLmFile"/>, so eval and sample read a checkpoint
/// directly) plus the optimizer state (optimizer.*) and the training position, settings and loss history
/// (train.* metadata and tensors). Losses are stored as the bits of their doubles (I64), so a resumed run's
/// history is exact. Written atomically.
/// </summary>
internal static class Checkpoint
{
    public static void Save(string path, CharLmModel model, Vocabulary vocabulary, Optimizer optimizer,
        TrainingSettings settings, TrainingProgress progress, int checkpointEvery)
    {
        ThrowIfNotFinite(model, path, progress.Step);
        var writer = new SafeTensorsWriter();
        CharLmFile.Add(writer, model, vocabulary);
        OptimizerCheckpoint.Write(writer, optimizer);

        writer.SetMetadata("train.batch_size", Int(settings.BatchSize));
        writer.SetMetadata("train.seq_length", Int(settings.SeqLength));
        writer.SetMetadata("train.lr", settings.LearningRate.ToString("R", CultureInfo.InvariantCulture));
        writer.SetMetadata("train.optimizer", settings.Optimizer);
        writer.SetMetadata("train.clip_norm", settings.ClipNorm.ToString("R", CultureInfo.InvariantCulture));
        writer.SetMetadata("train.dropout", model.Spec.Dropout.ToString("R", CultureInfo.InvariantCulture));
        writer.SetMetadata("train.seed", Int(settings.Seed));
        writer.SetMetadata("train.text", settings.TextPath ?? "");
        writer.SetMetadata("train.text_fingerprint", settings.TextFingerprint);
        writer.SetMetadata("train.allow_invalid_utf8", settings.AllowInvalidUtf8 ? "true" : "false");
        writer.SetMetadata("train.val_text", settings.ValidationTextPath ?? "");
        writer.SetMetadata("train.val_fingerprint", settings.ValidationFingerprint);
        writer.SetMetadata("train.val_fraction", settings.ValidationFraction.ToString("R", CultureInfo.InvariantCulture));
        writer.SetMetadata("train.lr_schedule", settings.Schedule.Name);
        writer.SetMetadata("train.warmup", settings.Schedule.WarmupSteps.ToString(CultureInfo.InvariantCulture));
        writer.SetMetadata("train.lr_gamma", settings.Schedule.Gamma.ToString("R", CultureInfo.InvariantCulture));
        writer.SetMetadata("train.lr_step", settings.Schedule.StepSize.ToString(CultureInfo.InvariantCulture));
        writer.SetMetadata("train.lr_patience", Int(settings.Schedule.Patience));
        writer.SetMetadata("train.checkpoint_every", Int(checkpointEvery));
        writer.SetMetadata("train.skipped_steps", progress.SkippedSteps.ToString(CultureInfo.InvariantCulture));
        writer.SetMetadata("train.step", progress.Step.ToString(CultureInfo.InvariantCulture));
        writer.SetMetadata("train.epoch", Int(progress.Epoch));
        writer.SetMetadata("train.chunk", Int(progress.Chunk));
        writer.SetMetadata("train.elapsed_seconds", progress.ElapsedSeconds.ToString("R", CultureInfo.InvariantCulture));
        AddDoubles(writer, "train.loss", progress.TrainLoss.ToArray());
        writer.AddInt64("train.validation_step", [progress.Validation.Count], progress.Validation.Select(v => v.Step).ToArray());
        AddDoubles(writer, "train.validation_loss", progress.Validation.Select(v => v.Loss).ToArray());
        if (progress.State != null) writer.Add("train.state", [progress.State.Length], progress.State);

        string? folder = Path.GetDirectoryName(Path.GetFullPath(path));
        if (folder != null) Directory.CreateDirectory(folder);
        writer.Save(path);
    }

    /// <summary>Refuses to write a model holding a NaN or infinity (it would replace good work with a useless file).</summary>
    public static void ThrowIfNotFinite(CharLmModel model, string path, long step)
    {
        if (CharLmFile.FindNonFinite(model) is string where)
            throw new CharLmException($"training diverged: at step {step} the model is not finite ({where}); {path} was not written"
                + (File.Exists(path) ? " (the file there is kept)" : "") + "; lower --lr, or clip with --clip");
    }

    /// <summary>A checkpoint's model (with the run's dropout), vocabulary, settings and progress; the optimizer state is restored by <see cref="RestoreOptimizer"/>.</summary>
    public static (CharLmModel Model, Vocabulary Vocabulary, TrainingSettings Settings, TrainingProgress Progress, int CheckpointEvery, SafeTensorsFile File) Load(string path)
    {
        SafeTensorsFile file = CharLmFile.Open(path);
        var meta = file.Metadata;
        string Get(string key) => meta.TryGetValue(key, out string? v) ? v
            : throw new CharLmException($"{path}: metadata '{key}' is missing: a model file, not a training checkpoint (or written by another tool)");
        int GetInt(string key) => int.TryParse(Get(key), NumberStyles.Integer, CultureInfo.InvariantCulture, out int v) ? v : throw Bad(key);
        float GetFloat(string key) => float.TryParse(Get(key), NumberStyles.Float, CultureInfo.InvariantCulture, out float v) ? v : throw Bad(key);
        CharLmException Bad(string key) => new($"{path}: metadata '{key}' = '{Get(key)}' is malformed or out of range");
        // Keys added after the first checkpoints: an older checkpoint has the default.
        string GetOr(string key, string fallback) => meta.TryGetValue(key, out string? v) ? v : fallback;
        long GetLong(string key, string fallback, long max) =>
            long.TryParse(GetOr(key, fallback), NumberStyles.Integer, CultureInfo.InvariantCulture, out long v) && v >= 0 && v <= max ? v
                : throw new CharLmException($"{path}: metadata '{key}' = '{GetOr(key, fallback)}' is not an integer in [0, {max}]");
        double GetDouble(string key, string fallback) =>
            double.TryParse(GetOr(key, fallback), NumberStyles.Float, CultureInfo.InvariantCulture, out double v) && double.IsFinite(v) ? v
                : throw new CharLmException($"{path}: metadata '{key}' = '{GetOr(key, fallback)}' is not a finite number");
        var defaults = new TrainingSettings();

        var settings = new TrainingSettings
        {
            BatchSize = GetInt("train.batch_size"),
            SeqLength = GetInt("train.seq_length"),
            LearningRate = GetFloat("train.lr"),
            Optimizer = Get("train.optimizer"),
            ClipNorm = GetFloat("train.clip_norm"),
            Seed = GetInt("train.seed"),
            TextPath = Get("train.text") is { Length: > 0 } text ? text : null,
            TextFingerprint = Get("train.text_fingerprint"),
            AllowInvalidUtf8 = GetOr("train.allow_invalid_utf8", "false") == "true",
            ValidationTextPath = GetOr("train.val_text", "") is { Length: > 0 } valText ? valText : null,
            ValidationFingerprint = GetOr("train.val_fingerprint", ""),
            ValidationFraction = GetDouble("train.val_fraction", DataSplit.DefaultFraction.ToString("R", CultureInfo.InvariantCulture)),
            Schedule = new LearningRatePlan
            {
                Name = GetOr("train.lr_schedule", defaults.Schedule.Name),
                WarmupSteps = GetLong("train.warmup", "0", int.MaxValue),
                Gamma = (float)GetDouble("train.lr_gamma", defaults.Schedule.Gamma.ToString("R", CultureInfo.InvariantCulture)),
                StepSize = GetLong("train.lr_step", defaults.Schedule.StepSize.ToString(CultureInfo.InvariantCulture), int.MaxValue),
                Patience = (int)GetLong("train.lr_patience", defaults.Schedule.Patience.ToString(CultureInfo.InvariantCulture), int.MaxValue),
            },
        };
        try
        {
            settings.Validate();
        }
        catch (CharLmException e)
        {
            throw new CharLmException($"{path}: the checkpoint's settings are out of range: {e.Message}", e);
        }
        var progress = new TrainingProgress
        {
            // The loss history holds one value per step, so the step count is bounded by the file's size.
            Step = long.TryParse(Get("train.step"), NumberStyles.Integer, CultureInfo.InvariantCulture, out long step) && step >= 0 ? step : throw Bad("train.step"),
            Epoch = GetInt("train.epoch") is int epoch and >= 0 ? epoch : throw Bad("train.epoch"),
            Chunk = GetInt("train.chunk") is int chunk and >= 0 ? chunk : throw Bad("train.chunk"), // its upper bound needs the text: Trainer checks it
            ElapsedSeconds = double.TryParse(Get("train.elapsed_seconds"), NumberStyles.Float, CultureInfo.InvariantCulture, out double s) && s >= 0 && double.IsFinite(s)
                ? s : throw Bad("train.elapsed_seconds"),
            SkippedSteps = GetLong("train.skipped_steps", "0", long.MaxValue),
        };
        int checkpointEvery = (int)GetLong("train.checkpoint_every", "500", int.MaxValue);
        if (progress.Epoch > progress.Step) throw Bad("train.epoch"); // every epoch takes at least one step
        try
        {
            progress.TrainLoss.AddRange(ReadDoubles(file, "train.loss"));
            long[] validationSteps = file.ReadInt64("train.validation_step");
            double[] validationLosses = ReadDoubles(file, "train.validation_loss");
            if (validationSteps.Length != validationLosses.Length) throw new InvalidDataException("train.validation_step and train.validation_loss differ in length");
            for (int i = 0; i < validationSteps.Length; i++) progress.Validation.Add((validationSteps[i], validationLosses[i]));
            if (file.Contains("train.state")) progress.State = file.ReadFloat32("train.state");
        }
        catch (Exception e) when (e is InvalidDataException or KeyNotFoundException)
        {
            throw new CharLmException($"{path}: the training history is damaged: {e.Message}", e);
        }
        if (progress.TrainLoss.Count != progress.Step)
            throw new CharLmException($"{path}: train.loss holds {progress.TrainLoss.Count} losses for {progress.Step} steps");

        var (model, vocabulary) = CharLmFile.Load(file, GetFloat("train.dropout"));
        return (model, vocabulary, settings, progress, checkpointEvery, file);
    }

    /// <summary>Restores the optimizer state saved with the checkpoint.</summary>
    public static void RestoreOptimizer(SafeTensorsFile file, Optimizer optimizer)
    {
        try
        {
            OptimizerCheckpoint.Read(file, optimizer);
        }
        catch (ArgumentException e)
        {
            throw new CharLmException($"{file.SourceName}: the optimizer state does not fit this model: {e.Message}", e);
        }
    }

    private static void AddDoubles(SafeTensorsWriter writer, string name, double[] values) =>
        writer.AddInt64(name, [values.Length], values.Select(BitConverter.DoubleToInt64Bits).ToArray());

    private static double[] ReadDoubles(SafeTensorsFile file, string name) =>
        file.ReadInt64(name).Select(BitConverter.Int64BitsToDouble).ToArray();

    private static string Int(int v) => v.ToString(CultureInfo.InvariantCulture);
}
