using System.CommandLine;
using MklRnn.CharLm;
using MklRnn.Cli.CharLm;

namespace MklRnn.Cli;

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
        var cell = new Option<string>("--cell") { Description = $"Recurrent cell: {CellKindNames.CommandLineChoices}", DefaultValueFactory = _ => "lstm" };
        var layers = new Option<int>("--layers") { Description = "Recurrent layers", DefaultValueFactory = _ => 1 };
        var hidden = new Option<int>("--hidden") { Description = "Hidden size", DefaultValueFactory = _ => 256 };
        var embedding = new Option<int>("--embedding") { Description = "Embedding size", DefaultValueFactory = _ => 64 };
        var seqLength = new Option<int>("--seq-length") { Description = "Steps per chunk (truncated BPTT length)", DefaultValueFactory = _ => 64 };
        var batchSize = new Option<int>("--batch-size") { Description = "Parallel streams per step", DefaultValueFactory = _ => 32 };
        var lr = new Option<float>("--lr") { Description = "Learning rate", DefaultValueFactory = _ => new TrainingSettings().LearningRate };
        var schedule = new Option<string>("--lr-schedule") { Description = $"Learning-rate schedule: {string.Join(", ", LearningRatePlan.Names)}", DefaultValueFactory = _ => plan.Name };
        var warmup = new Option<long>("--warmup") { Description = "Linear learning-rate warm-up over this many steps (0 = none)", DefaultValueFactory = _ => plan.WarmupSteps };
        var gamma = new Option<float>("--lr-gamma") { Description = "Factor of each decay of the step and plateau schedules", DefaultValueFactory = _ => plan.Gamma };
        var lrStep = new Option<long>("--lr-step") { Description = "Steps between decays of the step schedule", DefaultValueFactory = _ => plan.StepSize };
        var lrPatience = new Option<int>("--lr-patience") { Description = "Plateau schedule: validations without improvement tolerated before a decay", DefaultValueFactory = _ => plan.Patience };
        var optimizer = new Option<string>("--optimizer") { Description = "adam or sgd (momentum 0.9)", DefaultValueFactory = _ => "adam" };
        var clip = new Option<float>("--clip") { Description = "Clip the global gradient norm to this (0 = off)", DefaultValueFactory = _ => 1f };
        var dropout = new Option<float>("--dropout") { Description = "Dropout between layers and before the head, in [0, 1)", DefaultValueFactory = _ => 0f };
        var seed = new Option<int>("--seed") { Description = "Seed of the initialisation and the dropout masks", DefaultValueFactory = _ => 1 };
        var valText = new Option<string?>("--val-text") { Description = "Validation text (UTF-8); default: hold out --val-fraction of --text" };
        var valFraction = new Option<double>("--val-fraction") { Description = $"Share of --text held out for validation, in (0, {DataSplit.MaxFraction}]", DefaultValueFactory = _ => DataSplit.DefaultFraction };
        var evalEvery = new Option<int>("--eval-every") { Description = "Validate every N steps besides each epoch's end (0 = epoch ends only)", DefaultValueFactory = _ => 0 };
        var earlyStop = new Option<int>("--early-stop") { Description = "Stop after N validations in a row without a new best (0 = off)", DefaultValueFactory = _ => 0 };
        var maxSkipped = new Option<int>("--max-skipped-steps") { Description = "Stop (exit 1, nothing saved) after N diverged steps in a row (loss not finite or above 1000, or gradient norm not finite)", DefaultValueFactory = _ => new TrainOptions().MaxSkippedSteps };
        var allowInvalid = new Option<bool>("--allow-invalid-utf8") { Description = "Read invalid UTF-8 bytes of the texts as U+FFFD instead of refusing them" };
        var time = new Option<double?>("--time") { Description = "Stop after this many seconds (this session)" };
        var epochs = new Option<int?>("--epochs") { Description = "Stop after this many epochs (default 1 when no budget is given)" };
        var steps = new Option<long?>("--steps") { Description = "Stop after this many steps (over the whole run)" };
        var every = new Option<int>("--checkpoint-every") { Description = "Save a checkpoint every N steps (0 = only at the end)", DefaultValueFactory = _ => 500 };
        var threads = new Option<int>("--threads") { Description = "MKL threads (0 = MKL's default, or cores / ranks with --distributed; 1 also keeps the engine on one core)", DefaultValueFactory = _ => 0 };
        var distributed = new Option<bool>("--distributed") { Description = "Data-parallel over the ranks of an MPI job (mpirun -np R ...): --batch-size is the global batch" };

        var command = new Command("train", "Train a character-level language model on a text; Ctrl-C saves a checkpoint and stops.")
        {
            text, checkpoint, resume, force, initFrom, cell, layers, hidden, embedding, seqLength, batchSize, lr, schedule, warmup, gamma, lrStep,
            lrPatience, optimizer, clip, dropout, seed, valText, valFraction, evalEvery, earlyStop, maxSkipped, allowInvalid, time, epochs, steps,
            every, threads, distributed, CliOption.TrainingPrecisionRefusal(),
        };
        command.SetAction(parse => CharLmVerbs.Guard("train", parse, output =>
        {
            CellKind cellKind = CellKindNames.Parse(parse.GetValue(cell)!)
                ?? throw new CharLmException($"--cell must be one of {CellKindNames.CommandLineChoices}, got '{parse.GetValue(cell)}'");
            var options = new TrainOptions
            {
                CheckpointPath = parse.GetValue(checkpoint)!,
                Resume = parse.GetValue(resume),
                Force = parse.GetValue(force),
                InitFrom = parse.GetValue(initFrom),
                Given = command.Options.Where(o => parse.GetResult(o) is { Implicit: false }).Select(o => o.Name).ToHashSet(),
                Cell = cellKind,
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
                return 0;
            }
            return DistributedRun.Run("train", parse.InvocationConfiguration.Error, group =>
            {
                TrainingDisplay.Run(options with { Group = group }, group.IsRoot ? output : TextWriter.Null);
                return 0;
            });
        }));
        return command;
    }
}
