using System.Diagnostics;
using MklRnn.Distributed;
using MklRnn.Seq2Seq;
using MklRnn.Training;

namespace MklRnn.Cli.Seq2Seq;

/// <summary>Settings of a reversal (or dates) training run (the CLI's options).</summary>
internal sealed record ReversalOptions
{
    /// <summary>"reversal" (digits; MinLength, MaxLength apply) or "dates" (<see cref="DatesTask"/>; Model's vocabularies from it).</summary>
    public string Task { get; init; } = "reversal";

    public int Steps { get; init; } = 2000;
    public int BatchSize { get; init; } = 64;
    public int MinLength { get; init; } = 1;
    public int MaxLength { get; init; } = 10;
    public int EvalSize { get; init; } = 1000;
    public int EvalEvery { get; init; } = 500;
    public float LearningRate { get; init; } = 3e-3f;
    public double ClipNorm { get; init; } = 1.0;
    public int Seed { get; init; } = 1;

    /// <summary>The processes of a data-parallel run (`--distributed`): BatchSize is the global batch, split evenly.</summary>
    public ProcessGroup Group { get; init; } = ProcessGroup.Single;
    public Seq2SeqConfig Model { get; init; } = new()
    {
        Cell = CellKind.Lstm,
        SourceVocabularySize = ReversalTask.Digits,
        TargetVocabularySize = ReversalTask.TargetVocabulary,
        EmbeddingSize = 32,
        HiddenSize = 64,
        Score = AttentionScore.General,
        InputFeeding = true,
        BosId = ReversalTask.Bos,
        EosId = ReversalTask.Eos,
    };
}

/// <summary>
/// Trains a <see cref="Seq2SeqModel"/> on digit reversal with teacher forcing: Adam with cosine decay,
/// global-norm clipping, periodic greedy accuracy on the held-out set. Used by `mklrnn seq2seq train` and by the tests.
/// With Options.Task = "dates" it trains the word-level <see cref="DatesTask"/> instead (accuracy without &lt;unk&gt; replacement).
/// </summary>
internal sealed class ReversalTrainer : IDisposable
{
    private readonly ReversalTask? _task;
    private readonly DatesTask? _dates;
    private readonly Adam _optimizer;

    public ReversalTrainer(ReversalOptions options, Seq2SeqModel? model = null)
    {
        Options = options;
        Model = model ?? new Seq2SeqModel(options.Model, options.Seed);
        if (options.Task == "dates") _dates = new DatesTask(options.EvalSize, options.Seed);
        else if (options.Task == "reversal") _task = new ReversalTask(options.MinLength, options.MaxLength, options.EvalSize, options.Seed);
        else throw new ArgumentException($"--task: expected reversal or dates, got '{options.Task}'");
        _optimizer = new Adam(Model.Parameters, options.LearningRate)
        {
            Schedule = new CosineSchedule(options.LearningRate, options.Steps, options.LearningRate * 0.05f),
        };
    }

    public ReversalOptions Options { get; }
    public Seq2SeqModel Model { get; }
    public Optimizer Optimizer => _optimizer;
    public ReversalTask Task => _task ?? throw new InvalidOperationException("this run trains the dates task");

    /// <summary>
    /// Runs the steps left to Options.Steps (or to stopAt, to interrupt a run); reports progress lines;
    /// returns the final held-out greedy accuracy.
    /// </summary>
    public double Train(TextWriter? log, long stopAt = long.MaxValue)
    {
        ProcessGroup group = Options.Group;
        if (Options.BatchSize % group.Size != 0)
            throw new ArgumentException($"--batch {Options.BatchSize} is the global batch and must be a multiple of the number of ranks ({group.Size})");
        if (_optimizer.StepCount == 0) group.CheckSameParameters(Model.Parameters, "the initial parameters");
        var sources = new int[Options.BatchSize][];
        var targets = new int[Options.BatchSize][];
        int share = Options.BatchSize / group.Size, first = group.Rank * share;
        int[][] localSources = new int[share][], localTargets = new int[share][];
        var tokens = new double[2];
        var batch = new Seq2SeqBatch();
        var clock = Stopwatch.StartNew();
        double lossSum = 0;
        int lossCount = 0;
        while (_optimizer.StepCount < Math.Min(Options.Steps, stopAt))
        {
            if (_dates != null) _dates.Batch(_optimizer.StepCount, sources, targets);
            else _task!.Batch(_optimizer.StepCount, sources, targets);
            Array.Copy(sources, first, localSources, 0, share);
            Array.Copy(targets, first, localTargets, 0, share);
            batch.Fill(Model.Config, localSources, localTargets);
            _optimizer.ZeroGrad();
            LossResult loss = Model.ForwardBackward(batch);
            // Each rank's gradient is of its own mean loss; weighted by its share of the target tokens, the sum
            // over ranks is the gradient of the global batch's mean loss (what one process would compute).
            (tokens[0], tokens[1]) = (loss.TokenLossSum, loss.TokenCount);
            group.Sum(tokens);
            group.SumGradients(Model.Parameters, (float)(loss.TokenCount / tokens[1]));
            double norm = GradientClipping.ClipByGlobalNorm(Model.Parameters, Options.ClipNorm);
            // A batch depends only on the step, so a skipped diverged step would repeat: stop at the first one
            // (the loss and the norm are the global ones, so every rank stops at the same step).
            if (Divergence.IsDiverged(tokens[0] / tokens[1], norm))
                throw new TrainingDivergedException($"training diverged at step {_optimizer.StepCount + 1}: loss {tokens[0] / tokens[1]} per token, "
                    + $"gradient norm {norm} (not finite, or a loss above {Divergence.MaxLossPerToken}); nothing was saved; lower --lr or --clip");
            lossSum += tokens[0] / tokens[1];
            lossCount++;
            _optimizer.Step();
            long step = _optimizer.StepCount;
            if (log != null && group.IsRoot && Options.EvalEvery > 0 && (step % Options.EvalEvery == 0 || step == Options.Steps))
            {
                double accuracy = HeldOutAccuracy(beamWidth: 1);
                log.WriteLine($"step {step,6}  loss {lossSum / lossCount,8:F4}  held-out accuracy {accuracy,7:P1}  {clock.Elapsed.TotalSeconds,6:F1} s");
                lossSum = 0;
                lossCount = 0;
            }
        }
        return HeldOutAccuracy(beamWidth: 1);
    }

    /// <summary>Exact-match accuracy on the held-out strings.</summary>
    public double HeldOutAccuracy(int beamWidth, double lengthPenalty = 0) => _dates != null
        ? UnknownWordReplacement.Accuracy(Model, _dates.HeldOut, replaceUnk: false)
        : SequenceAccuracy.Measure(Model, _task!.HeldOut, ReversalTask.Reverse, beamWidth, Options.MaxLength + 2, lengthPenalty);

    public void Dispose()
    {
        _optimizer.Dispose();
        Model.Dispose();
    }
}
