using System.Diagnostics;
using MklRnn.CharLm;
using MklRnn.IO;
using MklRnn.Seq2Seq;

namespace MklRnn.Server;

/// <summary>A model the server loaded once, with its scheduler; <see cref="Describe"/> is its GET /v1/models entry.</summary>
public abstract class ServedModel(string name, IModelScheduler scheduler, IDisposable engine) : IDisposable
{
    public string Name { get; } = name;
    public abstract string Kind { get; }
    public abstract long ParameterCount { get; }
    public abstract Dictionary<string, object> Describe();

    public void Start() => scheduler.Start();
    public void Stop(TimeSpan timeout) => scheduler.Stop(timeout);

    /// <summary>The scheduler first: its thread must be gone before the engine's memory is.</summary>
    public void Dispose()
    {
        scheduler.Dispose();
        engine.Dispose();
    }

    /// <summary>
    /// Loads a checkpoint by its metadata: `format` = mklrnn.charlm.v1 is a character LM, `seq2seq.*` keys a
    /// seq2seq model from `seq2seq train`. Errors name the model and the file.
    /// </summary>
    public static ServedModel Load(string name, string path, ServerOptions options, ServerMetrics metrics, TextWriter log)
    {
        var clock = Stopwatch.StartNew();
        ServedModel model;
        try
        {
            SafeTensorsFile file = CharLmFile.Open(path);
            if (file.Metadata.ContainsKey("format"))
            {
                var (engine, vocabulary) = CharLmFile.Load(file);
                engine.PrepareInference(options.Precision);
                model = new ServedCharLm(name, engine, vocabulary, new CharLmScheduler(name, engine, vocabulary, options.MaxBatch, options.MaxQueue, metrics));
            }
            else if (file.Metadata.ContainsKey("seq2seq.cell"))
            {
                Seq2SeqModel engine = Seq2SeqModel.Load(file);
                engine.PrepareInference(options.Precision);
                model = new ServedSeq2Seq(name, engine, new TranslateScheduler(name, engine, options.MaxBatch, options.MaxQueue, metrics));
            }
            else
            {
                throw new InvalidDataException($"{path}: neither a character LM ({CharLmFile.Format}) nor a seq2seq checkpoint (no 'format' or 'seq2seq.*' metadata)");
            }
        }
        catch (Exception e) when (e is CharLmException or InvalidDataException or IOException)
        {
            throw new ArgumentException($"--model {name}={path}: {e.Message}", e);
        }
        log.WriteLine($"loaded model {name}: {model.Kind}, {model.Summary}, {model.ParameterCount:N0} parameters, {options.Precision} ({clock.ElapsedMilliseconds} ms)");
        return model;
    }

    protected abstract string Summary { get; }
}

/// <summary>A character LM: generate and score.</summary>
public sealed class ServedCharLm(string name, CharLmModel engine, Vocabulary vocabulary, CharLmScheduler scheduler) : ServedModel(name, scheduler, engine)
{
    public CharLmModel Engine { get; } = engine;
    public Vocabulary Vocabulary { get; } = vocabulary;
    public CharLmScheduler Scheduler { get; } = scheduler;
    public override string Kind => "charlm";
    public override long ParameterCount => Engine.Parameters.Sum(p => (long)p.Length);
    protected override string Summary => Engine.Spec.ToString();

    public override Dictionary<string, object> Describe() => new()
    {
        ["name"] = Name,
        ["kind"] = Kind,
        ["cell"] = Engine.Spec.CellName,
        ["num_layers"] = Engine.Spec.NumLayers,
        ["hidden_size"] = Engine.Spec.HiddenSize,
        ["embedding_size"] = Engine.Spec.EmbeddingSize,
        ["vocabulary_size"] = Engine.Spec.VocabularySize,
        ["parameters"] = ParameterCount,
    };
}

/// <summary>A seq2seq model from `seq2seq train` (digit reversal: source and target ids 0-9 are the digits): translate.</summary>
public sealed class ServedSeq2Seq(string name, Seq2SeqModel engine, TranslateScheduler scheduler) : ServedModel(name, scheduler, engine)
{
    public Seq2SeqModel Engine { get; } = engine;
    public TranslateScheduler Scheduler { get; } = scheduler;
    public override string Kind => "seq2seq";
    public override long ParameterCount => Engine.Parameters.Sum(p => (long)p.Length);
    protected override string Summary =>
        $"{Engine.Config.Cell} {Engine.Config.NumLayers}x{Engine.Config.HiddenSize}{(Engine.Config.Bidirectional ? " bidirectional" : "")}, vocabularies {Engine.Config.SourceVocabularySize} -> {Engine.Config.TargetVocabularySize}";

    public override Dictionary<string, object> Describe() => new()
    {
        ["name"] = Name,
        ["kind"] = Kind,
        ["cell"] = Engine.Config.Cell.ToString(),
        ["num_layers"] = Engine.Config.NumLayers,
        ["hidden_size"] = Engine.Config.HiddenSize,
        ["source_vocabulary_size"] = Engine.Config.SourceVocabularySize,
        ["target_vocabulary_size"] = Engine.Config.TargetVocabularySize,
        ["parameters"] = ParameterCount,
    };
}
