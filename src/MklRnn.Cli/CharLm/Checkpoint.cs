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
        TrainingSettings settings, TrainingProgress progress)
    {
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

    /// <summary>A checkpoint's model (with the run's dropout), vocabulary, settings and progress; the optimizer state is restored by <see cref="RestoreOptimizer"/>.</summary>
    public static (CharLmModel Model, Vocabulary Vocabulary, TrainingSettings Settings, TrainingProgress Progress, SafeTensorsFile File) Load(string path)
    {
        SafeTensorsFile file = CharLmFile.Open(path);
        var meta = file.Metadata;
        string Get(string key) => meta.TryGetValue(key, out string? v) ? v
            : throw new CharLmException($"{path}: metadata '{key}' is missing: a model file, not a training checkpoint (or written by another tool)");
        int GetInt(string key) => int.TryParse(Get(key), NumberStyles.Integer, CultureInfo.InvariantCulture, out int v) ? v : throw Bad(key);
        float GetFloat(string key) => float.TryParse(Get(key), NumberStyles.Float, CultureInfo.InvariantCulture, out float v) ? v : throw Bad(key);
        CharLmException Bad(string key) => new($"{path}: metadata '{key}' = '{Get(key)}' is malformed");

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
        };
        settings.Validate();
        var progress = new TrainingProgress
        {
            Step = long.TryParse(Get("train.step"), NumberStyles.Integer, CultureInfo.InvariantCulture, out long step) && step >= 0 ? step : throw Bad("train.step"),
            Epoch = GetInt("train.epoch"),
            Chunk = GetInt("train.chunk"),
            ElapsedSeconds = double.TryParse(Get("train.elapsed_seconds"), NumberStyles.Float, CultureInfo.InvariantCulture, out double s) ? s : throw Bad("train.elapsed_seconds"),
        };
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
        return (model, vocabulary, settings, progress, file);
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
