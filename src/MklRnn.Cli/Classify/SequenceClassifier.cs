using System.Globalization;
using MklRnn.IO;
using MklRnn.Layers;
using MklRnn.Modules;
using MklRnn.Seq2Seq;
using MklRnn.Training;

namespace MklRnn.Cli.Classify;

/// <summary>
/// Many-to-one: embedding ("embedding.weight"), a recurrent stack ("rnn.*", any cell, layers, optionally
/// bidirectional) over variable-length batches, and a <see cref="ManyToOneHead"/> ("classifier.*") reading each
/// sequence's output at its last valid step (for a bidirectional stack: the forward direction's final state next
/// to the reverse direction's first step). Saved as safetensors, the config in "classify.*" metadata.
/// </summary>
internal sealed class SequenceClassifier : IParameterized, IDisposable
{
    private readonly Embedding _embedding;
    private readonly RecurrentStack _rnn;
    private readonly ManyToOneHead _head;
    private readonly Parameter[] _parameters;
    private readonly TokenBatch _batch = new();
    private float[] _embedded = [], _output = [], _gradOutput = [], _gradEmbedded = [];

    public SequenceClassifier(ClassifierConfig config, int seed)
    {
        Config = config;
        _embedding = new Embedding(config.VocabularySize, config.EmbeddingSize, "embedding.", Seeds.Mix(seed, 1));
        _rnn = new RecurrentStack(new RnnConfig(config.Cell, config.EmbeddingSize, config.HiddenSize, config.NumLayers, config.Bidirectional),
            Seeds.Mix(seed, 2), "rnn.");
        _head = new ManyToOneHead(_rnn.Config.OutputSize, config.ClassCount, "classifier.", Seeds.Mix(seed, 3));
        _parameters = [.. _embedding.Parameters, .. _rnn.Parameters, .. _head.Parameters];
    }

    public ClassifierConfig Config { get; }

    public IReadOnlyList<Parameter> Parameters => _parameters;

    /// <summary>Mean cross-entropy of the labels; with gradients, accumulates every parameter gradient.</summary>
    public LossResult Loss(IReadOnlyList<int[]> sequences, ReadOnlySpan<int> labels, bool gradients)
    {
        int T = Forward(sequences, gradients), N = sequences.Count, W = _rnn.Config.OutputSize, E = Config.EmbeddingSize;
        var output = _output.AsSpan(0, T * N * W);
        if (!gradients) return _head.Head.Evaluate(Gathered(output, T, N), N, labels, LossReduction.Mean);
        var gradOutput = Grow(ref _gradOutput, T * N * W);
        _head.Loss(output, T, N, _batch.Lengths, labels, LossReduction.Mean, gradOutput);
        var gradEmbedded = Grow(ref _gradEmbedded, T * N * E);
        _rnn.Backward(gradOutput, gradEmbedded);
        _embedding.Backward(_batch.Ids, gradEmbedded);
        return _head.LastResult;
    }

    /// <summary>The most likely class of each sequence.</summary>
    public int[] Predict(IReadOnlyList<int[]> sequences)
    {
        int T = Forward(sequences, training: false), N = sequences.Count, C = Config.ClassCount;
        var logits = new float[N * C];
        _head.Logits(_output.AsSpan(0, T * N * _rnn.Config.OutputSize), T, N, _batch.Lengths, logits);
        var classes = new int[N];
        for (int n = 0; n < N; n++)
            for (int c = 1; c < C; c++)
                if (logits[n * C + c] > logits[n * C + classes[n]]) classes[n] = c;
        return classes;
    }

    private int Forward(IReadOnlyList<int[]> sequences, bool training)
    {
        _batch.Fill(sequences, Config.VocabularySize);
        int T = _batch.SeqLength, N = _batch.BatchSize;
        var embedded = Grow(ref _embedded, T * N * Config.EmbeddingSize);
        _embedding.Forward(_batch.Ids, embedded);
        _rnn.Forward(embedded, T, N, Grow(ref _output, T * N * _rnn.Config.OutputSize), lengths: _batch.Lengths, training: training);
        return T;
    }

    /// <summary>Loss without gradients goes through the head's Evaluate on the gathered last rows.</summary>
    private float[] Gathered(ReadOnlySpan<float> output, int T, int N)
    {
        int W = _rnn.Config.OutputSize;
        var rows = new float[N * W];
        for (int n = 0; n < N; n++) output.Slice(((_batch.Lengths[n] - 1) * N + n) * W, W).CopyTo(rows.AsSpan(n * W, W));
        return rows;
    }

    private static Span<float> Grow(ref float[] buffer, int length)
    {
        if (buffer.Length < length) buffer = new float[length];
        return buffer.AsSpan(0, length);
    }

    private const string Prefix = "classify.";

    public void Save(string path, Optimizer optimizer, IReadOnlyDictionary<string, string> taskMetadata)
    {
        var writer = new SafeTensorsWriter();
        string I(int v) => v.ToString(CultureInfo.InvariantCulture);
        writer.SetMetadata(Prefix + "cell", Config.Cell.ModeName());
        writer.SetMetadata(Prefix + "vocab", I(Config.VocabularySize));
        writer.SetMetadata(Prefix + "classes", I(Config.ClassCount));
        writer.SetMetadata(Prefix + "embedding_size", I(Config.EmbeddingSize));
        writer.SetMetadata(Prefix + "hidden_size", I(Config.HiddenSize));
        writer.SetMetadata(Prefix + "num_layers", I(Config.NumLayers));
        writer.SetMetadata(Prefix + "bidirectional", Config.Bidirectional ? "1" : "0");
        foreach (var (key, value) in taskMetadata) writer.SetMetadata(key, value);
        StateDict.Write(writer, this);
        OptimizerCheckpoint.Write(writer, optimizer);
        writer.Save(path);
    }

    /// <summary>A classifier built from a file written by <see cref="Save"/>; a missing or malformed key throws InvalidDataException naming it.</summary>
    public static SequenceClassifier Load(SafeTensorsFile file)
    {
        string Get(string key) => file.Metadata.TryGetValue(Prefix + key, out string? v) ? v
            : throw new InvalidDataException($"{file.SourceName}: metadata '{Prefix + key}' is missing (not a classifier written by `classify train`?)");
        int Int(string key) => int.TryParse(Get(key), NumberStyles.Integer, CultureInfo.InvariantCulture, out int v) && v >= 1 ? v
            : throw new InvalidDataException($"{file.SourceName}: metadata '{Prefix + key}' must be a positive integer, got '{Get(key)}'");
        var config = new ClassifierConfig
        {
            Cell = CellKindNames.Parse(Get("cell")) ?? throw new InvalidDataException($"{file.SourceName}: unknown cell '{Get("cell")}'"),
            VocabularySize = Int("vocab"),
            ClassCount = Int("classes"),
            EmbeddingSize = Int("embedding_size"),
            HiddenSize = Int("hidden_size"),
            NumLayers = Int("num_layers"),
            Bidirectional = Get("bidirectional") == "1",
        };
        return StateDict.ReadInto(file, new SequenceClassifier(config, seed: 0));
    }

    public void Dispose()
    {
        _embedding.Dispose();
        _rnn.Dispose();
        _head.Dispose();
    }
}
