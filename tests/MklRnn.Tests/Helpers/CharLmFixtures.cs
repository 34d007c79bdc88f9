using MklRnn.Cli.CharLm;
using MklRnn.IO;

namespace MklRnn.Tests.Helpers;

/// <summary>Small texts and tiny training options for the character LM tests.</summary>
internal static class CharLmFixtures
{
    /// <summary>A short English text (about 700 characters: an epoch of the tiny options is ~10 steps).</summary>
    public const string SmallText =
        "The quick brown fox jumps over the lazy dog. A journey of a thousand miles begins with a single step.\n" +
        "All that glitters is not gold; all who wander are not lost. The early bird catches the worm, but the\n" +
        "second mouse gets the cheese. Knowledge speaks, but wisdom listens. Time flies like an arrow; fruit\n" +
        "flies like a banana. Fortune favours the bold, and the bold favour fortune cookies.\n" +
        "%\n" +
        "Never put off until tomorrow what you can do the day after tomorrow. To err is human; to really foul\n" +
        "things up requires a computer. The best way to predict the future is to invent it.\n" +
        "%\n" +
        "It is a truth universally acknowledged that a program in possession of good tests must be in want of\n" +
        "a refactoring. Simplicity is prerequisite for reliability.\n";

    /// <summary>Writes the small text into the folder; returns its path.</summary>
    public static string WriteText(TempFolder folder, string name = "text.txt", string text = SmallText)
    {
        string path = folder[name];
        File.WriteAllText(path, text);
        return path;
    }

    /// <summary>Options of a tiny, fast run on a text.</summary>
    public static TrainOptions Tiny(string textPath, string checkpoint, long steps, CellKind cell = CellKind.Lstm,
        int layers = 2, float dropout = 0.2f) => new()
    {
        CheckpointPath = checkpoint,
        Cell = cell,
        Layers = layers,
        HiddenSize = 16,
        EmbeddingSize = 8,
        Dropout = dropout,
        Settings = new TrainingSettings { TextPath = textPath, BatchSize = 4, SeqLength = 16, LearningRate = 1e-2f, Seed = 7 },
        Budget = new TrainBudget(Steps: steps),
        CheckpointEvery = 3,
        Threads = 1,
    };

    /// <summary>Writes the small text into the folder and trains a tiny model on it into ck.safetensors.</summary>
    public static (string Text, string Checkpoint) TrainTiny(TempFolder folder, long steps, CellKind cell = CellKind.Lstm, int layers = 2)
    {
        string text = WriteText(folder);
        string checkpoint = folder["ck.safetensors"];
        Trainer.Run(Tiny(text, checkpoint, steps, cell, layers));
        return (text, checkpoint);
    }

    /// <summary>Copies a safetensors file (F32 and I64 tensors) with one metadata value changed.</summary>
    public static void CopyWithMetadata(string source, string destination, string key, string value) =>
        CopyEdited(source, destination, (k, v) => k == key ? value : v, (_, _) => { });

    /// <summary>Copies a safetensors file with one F32 tensor's values edited in place.</summary>
    public static void CopyWithTensor(string source, string destination, string name, Action<float[]> edit) =>
        CopyEdited(source, destination, (_, v) => v, (n, values) => { if (n == name) edit(values); });

    private static void CopyEdited(string source, string destination, Func<string, string, string> metadata, Action<string, float[]> tensor)
    {
        var file = SafeTensorsFile.Read(source);
        var writer = new SafeTensorsWriter();
        foreach (var (k, v) in file.Metadata) writer.SetMetadata(k, metadata(k, v));
        foreach (SafeTensorInfo t in file.Tensors)
        {
            if (t.Dtype == SafeTensorsDtype.I64)
            {
                writer.AddInt64(t.Name, t.Shape, file.ReadInt64(t.Name));
                continue;
            }
            float[] values = file.ReadFloat32(t.Name);
            tensor(t.Name, values);
            writer.Add(t.Name, t.Shape, values);
        }
        writer.Save(destination);
    }

    /// <summary>The rows of a metrics CSV (header excluded), split into fields.</summary>
    public static string[][] MetricsRows(string path) =>
        File.ReadAllLines(path).Skip(1).Select(line => line.Split(',')).ToArray();

    /// <summary>The arguments of a tiny `train` run (1-layer RNN, a few steps) on a text into a checkpoint.</summary>
    public static string[] TinyTrainArgs(string text, string checkpoint, params string[] more) =>
        ["train", "--text", text, "--checkpoint", checkpoint, "--cell", "rnn", "--hidden", "12", "--embedding", "6",
         "--seq-length", "8", "--batch-size", "3", "--threads", "1", "--seed", "3", .. more];
}
