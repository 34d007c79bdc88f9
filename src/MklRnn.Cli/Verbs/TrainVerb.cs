using System.CommandLine;
using MklRnn.Cli.CharLm;
using static MklRnn.Cli.CliOption;

namespace MklRnn.Cli;

/// <summary>`mklrnn train`: trains a character-level language model (see docs/charlm.md).</summary>
internal static class TrainVerb
{
    public static Command Create()
    {
        var text = new Option<string?>("--text") { Description = $"Training text (UTF-8); default: {Corpus.DefaultName}" };
        var checkpoint = new Option<string>("--checkpoint")
        {
            Description = "Checkpoint file to write (and to read with --resume); the loss curve goes beside it as NAME.loss.svg",
            DefaultValueFactory = _ => new TrainOptions().CheckpointPath,
        };
        var resume = new Option<bool>("--resume") { Description = "Continue the run saved in --checkpoint (architecture, text and settings come from it)" };
        var cell = CliCell.Option();
        var layers = Ranged("--layers", "Recurrent layers", 1, 1, CliLimits.MaxLayers);
        var hidden = Ranged("--hidden", "Hidden size", 256, 1, CliLimits.MaxWidth);
        var embedding = Ranged("--embedding", "Embedding size", 64, 1, CliLimits.MaxWidth);
        var seqLength = Ranged("--seq-length", "Steps per chunk (truncated BPTT length)", 64, 1, CliLimits.MaxSteps);
        var batchSize = Ranged("--batch-size", "Parallel streams per step", 32, 1, CliLimits.MaxBatch);
        var lr = Ranged("--lr", "Learning rate", new TrainingSettings().LearningRate, 0f, CliLimits.MaxRate, minExclusive: true);
        var optimizer = new Option<string>("--optimizer") { Description = "adam or sgd (momentum 0.9)", DefaultValueFactory = _ => "adam" };
        var clip = Ranged("--clip", "Clip the global gradient norm to this (0 = off)", 1f, 0f, CliLimits.MaxRate);
        var dropout = Ranged("--dropout", "Dropout between layers and before the head", 0f, 0f, CliLimits.MaxDropout);
        var seed = Ranged("--seed", "Seed of the initialisation and the dropout masks", 1, 0, int.MaxValue);
        var time = RangedOptional("--time", "Stop after this many seconds (this session)", 0.0, CliLimits.MaxSeconds, minExclusive: true);
        var epochs = RangedOptional("--epochs", "Stop after this many epochs (default 1 when no budget is given)", 1, int.MaxValue);
        var steps = RangedOptional("--steps", "Stop after this many steps (over the whole run)", 1L, 1_000_000_000_000L);
        var every = Ranged("--checkpoint-every", "Save a checkpoint every N steps (0 = only at the end)", 500, 0, int.MaxValue);
        var threads = Ranged("--threads", "MKL threads (0 = MKL's default, or cores / ranks with --distributed; 1 also keeps the engine on one core)", 0, 0, CliLimits.MaxThreads);
        var distributed = new Option<bool>("--distributed") { Description = "Data-parallel over the ranks of an MPI job (mpirun -np R ...): --batch-size is the global batch" };

        var command = new Command("train", "Train a character-level language model on a text; Ctrl-C saves a checkpoint and stops.")
        {
            text, checkpoint, resume, cell, layers, hidden, embedding, seqLength, batchSize, lr, optimizer, clip, dropout, seed,
            time, epochs, steps, every, threads, distributed,
        };
        command.SetAction(parse =>
        {
            var options = new TrainOptions
            {
                CheckpointPath = parse.GetValue(checkpoint)!,
                Resume = parse.GetValue(resume),
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
                },
                Budget = new TrainBudget(parse.GetValue(time), parse.GetValue(epochs), parse.GetValue(steps)),
                CheckpointEvery = parse.GetValue(every),
                Threads = parse.GetValue(threads),
            };
            if (options.Resume && parse.GetValue(text) != null)
                throw UsageError.Because("--resume trains on the checkpoint's own text; leave out --text");
            TextWriter output = parse.InvocationConfiguration.Output;
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
