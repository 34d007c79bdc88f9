using System.Diagnostics;
using MklRnn.Training;

namespace MklRnn.Cli.Classify;

/// <summary>Settings of a bracket-classification run (the CLI's options).</summary>
internal sealed record ClassifierOptions
{
    public int Steps { get; init; } = 1500;
    public int BatchSize { get; init; } = 64;
    public int MaxLength { get; init; } = 16;
    public int EvalSize { get; init; } = 1000;
    public int EvalEvery { get; init; } = 500;
    public float LearningRate { get; init; } = 5e-3f;
    public double ClipNorm { get; init; } = 1.0;
    public int Seed { get; init; } = 1;
    public ClassifierConfig Model { get; init; } = new();
}

/// <summary>
/// Trains a <see cref="SequenceClassifier"/> on <see cref="BracketTask"/>: batches of variable-length strings,
/// Adam with cosine decay, global-norm clipping, periodic held-out accuracy. Used by `mklrnn classify train` and the tests.
/// </summary>
internal sealed class ClassifierTrainer : IDisposable
{
    private readonly Adam _optimizer;

    public ClassifierTrainer(ClassifierOptions options, SequenceClassifier? model = null)
    {
        Options = options;
        Model = model ?? new SequenceClassifier(options.Model, options.Seed);
        Task = new BracketTask(options.MaxLength, options.EvalSize, options.Seed);
        _optimizer = new Adam(Model.Parameters, options.LearningRate)
        {
            Schedule = new CosineSchedule(options.LearningRate, options.Steps, options.LearningRate * 0.05f),
        };
    }

    public ClassifierOptions Options { get; }
    public SequenceClassifier Model { get; }
    public BracketTask Task { get; }
    public Optimizer Optimizer => _optimizer;

    /// <summary>Runs the steps left to Options.Steps; reports progress lines; returns the final held-out accuracy.</summary>
    public double Train(TextWriter? log)
    {
        var sequences = new int[Options.BatchSize][];
        var labels = new int[Options.BatchSize];
        var clock = Stopwatch.StartNew();
        double lossSum = 0;
        int lossCount = 0;
        while (_optimizer.StepCount < Options.Steps)
        {
            Task.Batch(_optimizer.StepCount, sequences, labels);
            _optimizer.ZeroGrad();
            lossSum += Model.Loss(sequences, labels, gradients: true).Loss;
            lossCount++;
            GradientClipping.ClipByGlobalNorm(Model.Parameters, Options.ClipNorm);
            _optimizer.Step();
            long step = _optimizer.StepCount;
            if (log != null && Options.EvalEvery > 0 && (step % Options.EvalEvery == 0 || step == Options.Steps))
            {
                log.WriteLine($"step {step,6}  loss {lossSum / lossCount,8:F4}  held-out accuracy {HeldOutAccuracy(),7:P1}  {clock.Elapsed.TotalSeconds,6:F1} s");
                lossSum = 0;
                lossCount = 0;
            }
        }
        return HeldOutAccuracy();
    }

    /// <summary>Fraction of held-out strings classified correctly.</summary>
    public double HeldOutAccuracy() => Accuracy(Model, Task.HeldOut);

    public static double Accuracy(SequenceClassifier model, IReadOnlyList<(int[] Tokens, int Label)> examples, int batchSize = 256)
    {
        int correct = 0;
        for (int start = 0; start < examples.Count; start += batchSize)
        {
            var chunk = examples.Skip(start).Take(batchSize).ToArray();
            int[] predicted = model.Predict(chunk.Select(e => e.Tokens).ToArray());
            for (int i = 0; i < chunk.Length; i++) if (predicted[i] == chunk[i].Label) correct++;
        }
        return (double)correct / examples.Count;
    }

    public void Dispose()
    {
        _optimizer.Dispose();
        Model.Dispose();
    }
}
