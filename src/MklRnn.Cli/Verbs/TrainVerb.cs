using System.CommandLine;
using MklRnn.Cli.CharLm;
using static MklRnn.Cli.CliOption;

namespace MklRnn.Cli.Verbs;

/// <summary>`mklrnn train`: trains a character-level language model (see docs/charlm.md).</summary>
internal static class TrainVerb
{
    public static Command Create()
    {
        var plan = new LearningRatePlan();
        var text = new Option<string?>("--text") { Description = $"Training text (UTF-8); default: {Corpus.DefaultName}" };
        var checkpoint = new Option<string>("--checkpoint")
        {
            Description = "Checkpoint file to write (and to read with --resume); beside it go NAME.best.safetensors, NAME.metrics.csv and NAME.loss.svg",
            DefaultValueFactory = _ => new TrainOptions().CheckpointPath,
        };
        var resume = new Option<bool>("--resume") { Description = "Continue the run saved in --checkpoint (architecture, text and settings come from it; training flags given are applied)" };
        var force = new Option<bool>("--force") { Description = "Replace an existing --checkpoint with a new run" };
        var initFrom = new Option<string?>("--init-from") { Description = "Start from this model file's weights and vocabulary (fine-tuning on --text)" };
        var cell = CliCell.Option();
        var layers = Ranged("--layers", "Recurrent layers", 1, 1, CliLimits.MaxLayers);
        var hidden = Ranged("--hidden", "Hidden size", 256, 1, CliLimits.MaxWidth);
        var embedding = Ranged("--embedding", "Embedding size", 64, 1, CliLimits.MaxWidth);
        var seqLength = Ranged("--seq-length", "Steps per chunk (truncated BPTT length)", 64, 1, CliLimits.MaxSteps);
        var batchSize = Ranged("--batch-size", "Parallel streams per step", 32, 1, CliLimits.MaxBatch);
        var lr = Ranged("--lr", "Learning rate", new TrainingSettings().LearningRate, 0f, CliLimits.MaxRate, minExclusive: true);
        var schedule = new Option<string>("--lr-schedule") { Description = $"Learning-rate schedule: {string.Join(", ", LearningRatePlan.Names)}", DefaultValueFactory = _ => plan.Name };
        var warmup = Ranged("--warmup", "Linear learning-rate warm-up over this many steps (0 = none)", plan.WarmupSteps, 0L, CliLimits.MaxTrainSteps);
        var gamma = Ranged("--lr-gamma", "Factor of each decay of the step and plateau schedules (below 1)", plan.Gamma, 0f, 0.9999f, minExclusive: true);
        var lrStep = Ranged("--lr-step", "Steps between decays of the step schedule", plan.StepSize, 1L, CliLimits.MaxTrainSteps);
        var lrPatience = Ranged("--lr-patience", "Plateau schedule: validations without improvement tolerated before a decay", plan.Patience, 0, int.MaxValue);
        var optimizer = new Option<string>("--optimizer") { Description = "adam or sgd (momentum 0.9)", DefaultValueFactory = _ => "adam" };
        var clip = Ranged("--clip", "Clip the global gradient norm to this (0 = off)", 1f, 0f, CliLimits.MaxRate);
        var dropout = Ranged("--dropout", "Dropout between layers and before the head", 0f, 0f, CliLimits.MaxDropout);
        var seed = Ranged("--seed", "Seed of the initialisation and the dropout masks", 1, 0, int.MaxValue);
        var valText = new Option<string?>("--val-text") { Description = "Validation text (UTF-8); default: hold out --val-fraction of --text" };
        var valFraction = Ranged("--val-fraction", "Share of --text held out for validation", DataSplit.DefaultFraction, 0.0, DataSplit.MaxFraction, minExclusive: true);
        var evalEvery = Ranged("--eval-every", "Validate every N steps besides each epoch's end (0 = epoch ends only)", 0, 0, int.MaxValue);
        var earlyStop = Ranged("--early-stop", "Stop after N validations in a row without a new best (0 = off)", 0, 0, int.MaxValue);
        var maxSkipped = Ranged("--max-skipped-steps", "Stop (exit 1, nothing saved) after N diverged steps in a row (loss not finite or above 1000, or gradient norm not finite)",
            new TrainOptions().MaxSkippedSteps, 1, int.MaxValue);
        var allowInvalid = new Option<bool>("--allow-invalid-utf8") { Description = "Read invalid UTF-8 bytes of the texts as U+FFFD instead of refusing them" };
        var time = RangedOptional("--time", "Stop after this many seconds (this session)", 0.0, CliLimits.MaxSeconds, minExclusive: true);
        var epochs = RangedOptional("--epochs", "Stop after this many epochs (default 1 when no budget is given)", 1, int.MaxValue);
        var steps = RangedOptional("--steps", "Stop after this many steps (over the whole run)", 1L, CliLimits.MaxTrainSteps);
        var every = Ranged("--checkpoint-every", "Save a checkpoint every N steps (0 = only at the end)", 500, 0, int.MaxValue);
        var threads = Ranged("--threads", "MKL threads (0 = MKL's default, or cores / ranks with --distributed; 1 also keeps the engine on one core)", 0, 0, CliLimits.MaxThreads);
        var distributed = new Option<bool>("--distributed") { Description = "Data-parallel over the ranks of an MPI job (mpirun -np R ...): --batch-size is the global batch" };

        var command = new Command("train", "Train a character-level language model on a text; Ctrl-C saves a checkpoint and stops.")
        {
            text, checkpoint, resume, force, initFrom, cell, layers, hidden, embedding, seqLength, batchSize, lr, schedule, warmup, gamma, lrStep,
            lrPatience, optimizer, clip, dropout, seed, valText, valFraction, evalEvery, earlyStop, maxSkipped, allowInvalid, time, epochs, steps,
            every, threads, distributed, CliOption.TrainingPrecisionRefusal(),
        };
        command.SetAction(parse =>
        {
            TextWriter output = parse.InvocationConfiguration.Output;
            var options = new TrainOptions
            {
                CheckpointPath = parse.GetValue(checkpoint)!,
                Resume = parse.GetValue(resume),
                Force = parse.GetValue(force),
                InitFrom = parse.GetValue(initFrom),
                Given = command.Options.Where(o => parse.GetResult(o) is { Implicit: false }).Select(o => o.Name).ToHashSet(),
                Cell = CliCell.Parse(parse.GetValue(cell)!),
                Layers = parse.GetValue(layers),
                HiddenSize = parse.GetValue(hidden),
                EmbeddingSize = parse.GetValue(embedding),
                Dropout = parse.GetValue(dropout),
                Settings = new TrainingSettings
                {
                    TextPath = parse.GetValue(text),
                    BatchSize = parse.GetValue(batchSize),
                    SeqLength = parse.GetValue(seqLength),
                    LearningRate = parse.GetValue(lr),
                    Optimizer = parse.GetValue(optimizer)!.ToLowerInvariant(),
                    ClipNorm = parse.GetValue(clip),
                    Seed = parse.GetValue(seed),
                    AllowInvalidUtf8 = parse.GetValue(allowInvalid),
                    ValidationTextPath = parse.GetValue(valText),
                    ValidationFraction = parse.GetValue(valFraction),
                    Schedule = new LearningRatePlan
                    {
                        Name = parse.GetValue(schedule)!.ToLowerInvariant(),
                        WarmupSteps = parse.GetValue(warmup),
                        Gamma = parse.GetValue(gamma),
                        StepSize = parse.GetValue(lrStep),
                        Patience = parse.GetValue(lrPatience),
                    },
                },
                Budget = new TrainBudget(parse.GetValue(time), parse.GetValue(epochs), parse.GetValue(steps)),
                CheckpointEvery = parse.GetValue(every),
                EvalEvery = parse.GetValue(evalEvery),
                EarlyStopPatience = parse.GetValue(earlyStop),
                MaxSkippedSteps = parse.GetValue(maxSkipped),
                Threads = parse.GetValue(threads),
            };
            if (!parse.GetValue(distributed))
            {
                TrainingDisplay.Run(options, output);
                return ExitCodes.Ok;
            }
            return DistributedRun.Run("train", parse.InvocationConfiguration.Error, group =>
            {
                TrainingDisplay.Run(options with { Group = group }, group.IsRoot ? output : TextWriter.Null);
                return ExitCodes.Ok;
            });
        });
        return command;
    }
}
