using MklRnn.IO;
using MklRnn.Training;

namespace MklRnn.Seq2Seq;

/// <summary>
/// An attentional encoder-decoder: <see cref="Encoder"/>, <see cref="Decoder"/> (stepped stack, Luong
/// attention, output head). Training is teacher-forced: <see cref="ForwardBackward"/> runs a batch, computes
/// the mean token cross-entropy and backpropagates through decoder, attention and encoder (BPTT),
/// accumulating every parameter gradient, to be used with the Training optimizers and clipping.
/// Decoding goes through <see cref="StartDecoding"/> (an <see cref="IStepDecoder"/>), e.g. with
/// <see cref="GreedyDecoder"/> or <see cref="BeamSearch"/>. Saved as one safetensors file (config in metadata,
/// optionally the optimizer state too). Not thread-safe.
/// </summary>
public sealed class Seq2SeqModel : IParameterized, IDisposable
{
    private readonly Parameter[] _parameters;
    private bool _disposed;

    public Seq2SeqModel(Seq2SeqConfig config, int seed = 0)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        Config = config;
        Encoder = new Encoder(config, seed);
        Decoder = new Decoder(config, seed + 10);
        _parameters = [.. Encoder.Parameters, .. Decoder.Parameters];
    }

    public Seq2SeqConfig Config { get; }
    public Encoder Encoder { get; }
    public Decoder Decoder { get; }

    /// <summary>Encoder parameters, then decoder parameters; names are unique ("encoder.*", "decoder.*").</summary>
    public IReadOnlyList<Parameter> Parameters => _parameters;

    public void ZeroGrad()
    {
        foreach (Parameter p in _parameters) p.ZeroGrad();
    }

    /// <summary>
    /// Teacher-forced loss of a batch (mean cross-entropy per target token, EOS included) and its gradients,
    /// accumulated (+=) into every parameter's Grad.
    /// </summary>
    public LossResult ForwardBackward(Seq2SeqBatch batch)
    {
        LossResult result = Forward(batch, training: true);
        Decoder.BackwardTeacher();
        Encoder.Backward(Decoder.GradKeys, Decoder.GradH0, Decoder.GradC0);
        return result;
    }

    /// <summary>The teacher-forced loss of a batch without gradients.</summary>
    public LossResult Evaluate(Seq2SeqBatch batch) => Forward(batch, training: false);

    private LossResult Forward(Seq2SeqBatch batch, bool training)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentNullException.ThrowIfNull(batch);
        if (batch.TargetSteps == 0) throw new ArgumentException("the batch is empty; call Fill first", nameof(batch));
        TokenBatch source = batch.Source;
        Encoder.Forward(source, training);
        Decoder.ForwardTeacher(batch.DecoderInputs, batch.TargetSteps, batch.BatchSize, Encoder.Output, source.SeqLength,
            source.Lengths, Encoder.FinalH, Encoder.FinalC, training);
        return Decoder.Loss(batch.Targets, gradients: training);
    }

    /// <summary>
    /// Encodes the sources and returns a step decoder over rowsPerSource rows per source (1 for greedy,
    /// the beam width for beam search). Valid until the next call that uses the model.
    /// </summary>
    public IStepDecoder StartDecoding(TokenBatch sources, int rowsPerSource = 1)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return new Seq2SeqStepDecoder(this, sources, rowsPerSource);
    }

    /// <summary>Writes config and parameters (and an optimizer's state, when given) atomically as safetensors.</summary>
    public void Save(string path, Optimizer? optimizer = null, IReadOnlyDictionary<string, string>? extraMetadata = null)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var writer = new SafeTensorsWriter();
        foreach (var (key, value) in Config.ToMetadata()) writer.SetMetadata(key, value);
        if (extraMetadata != null) foreach (var (key, value) in extraMetadata) writer.SetMetadata(key, value);
        StateDict.Write(writer, this);
        if (optimizer != null) OptimizerCheckpoint.Write(writer, optimizer);
        writer.Save(path);
    }

    /// <summary>A model built from a file written by <see cref="Save"/>.</summary>
    public static Seq2SeqModel Load(string path) => Load(SafeTensorsFile.Read(path));

    public static Seq2SeqModel Load(SafeTensorsFile file)
    {
        ArgumentNullException.ThrowIfNull(file);
        Seq2SeqConfig config = Seq2SeqConfig.FromMetadata(file.Metadata, file.SourceName);
        RequireHeaderFits(file, config);
        return StateDict.ReadInto(file, new Seq2SeqModel(config));
    }

    /// <summary>
    /// Before anything is built: the header's embeddings and encoder stack must have the shapes the metadata
    /// implies. They pin every size of the config (vocabularies, embedding, hidden, layers), so metadata
    /// claiming huge sizes is refused without allocating (issue 11 item 5); the rest is checked on load.
    /// </summary>
    private static void RequireHeaderFits(SafeTensorsFile file, Seq2SeqConfig config)
    {
        foreach (var (name, rows) in new[] { ("encoder.embedding.weight", config.SourceVocabularySize), ("decoder.embedding.weight", config.TargetVocabularySize) })
            if (!file.Contains(name) || !file[name].Shape.AsSpan().SequenceEqual([rows, config.EmbeddingSize]))
                throw new InvalidDataException($"{file.SourceName}: tensor '{name}' must be ({rows}, {config.EmbeddingSize}) as the metadata says, "
                    + (file.Contains(name) ? $"it is {file[name].ShapeText}" : "it is missing"));
        try
        {
            Layers.StackTensors.RequireShapes(file, new RnnConfig(config.Cell, config.EmbeddingSize, config.HiddenSize, config.NumLayers, config.Bidirectional), "encoder.rnn.");
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"{file.SourceName}: metadata describes an invalid encoder: {e.Message}", e);
        }
    }

    /// <summary>Restores an optimizer's state saved with the model (same parameters, same kind).</summary>
    public static void LoadOptimizerState(SafeTensorsFile file, Optimizer optimizer) => OptimizerCheckpoint.Read(file, optimizer);

    /// <summary>
    /// Chooses the arithmetic of the encoder's and decoder's recurrent GEMMs for decoding (attention, projections
    /// and the output layer stay float32); the weights stay float32 in the file. Training needs Float32.
    /// </summary>
    public void PrepareInference(Precision precision)
    {
        Encoder.Stack.PrepareInference(precision);
        Decoder.Stack.PrepareInference(precision);
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        Encoder.Dispose();
        Decoder.Dispose();
    }
}
