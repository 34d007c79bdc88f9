using System.CommandLine;
using System.Globalization;
using MklRnn.Cli.Classify;
using MklRnn.IO;
using static MklRnn.Cli.CliOption;

namespace MklRnn.Cli;

/// <summary>
/// <c>mklrnn classify train|eval</c>: the many-to-one worked example, telling balanced bracket strings from
/// unbalanced ones with a recurrent encoder and a <see cref="Modules.ManyToOneHead"/> over variable-length
/// batches. train writes a checkpoint atomically; eval classifies strings given on the command line, or
/// measures held-out accuracy. Exit code 0: done; 1: --min-accuracy not reached; 2: bad input.
/// </summary>
internal static class ClassifyVerb
{
    /// <summary>Longest bracket string (bounds the per-step buffers).</summary>
    private const int MaxBrackets = 1000;

    /// <summary>Held-out strings: distinct draws, so the bound also keeps the draw loop short.</summary>
    private const int MaxEvalSize = 100_000;

    public static Command Create()
    {
        var command = new Command("classify", "Many-to-one sequence classification: the balanced-brackets example (train, eval).");
        command.Subcommands.Add(CreateTrain());
        command.Subcommands.Add(CreateEval());
        return command;
    }

    private static Command CreateTrain()
    {
        var defaults = new ClassifierOptions();
        var output = TrainingFlags.Checkpoint();
        var force = TrainingFlags.Force();
        var steps = Ranged("--steps", "optimizer steps", defaults.Steps, 1, 10_000_000);
        var batch = Ranged("--batch-size", "strings per step", defaults.BatchSize, 1, CliLimits.MaxBatch).WithOldName("--batch");
        var length = Ranged("--max-length", "longest string (lengths are even, from 2)", defaults.MaxLength, 2, MaxBrackets);
        var evalSize = Ranged("--eval-size", "held-out strings (at most 200 below --max-length 12)", defaults.EvalSize, 1, MaxEvalSize);
        var evalEvery = TrainingFlags.EvalEvery(defaults.EvalEvery);
        var lr = TrainingFlags.LearningRate(defaults.LearningRate);
        var seed = TrainingFlags.Seed(defaults.Seed);
        var cell = CliCell.Option();
        var layers = Ranged("--layers", "recurrent layers", defaults.Model.NumLayers, 1, CliLimits.MaxLayers);
        var hidden = Ranged("--hidden", "hidden size per direction", defaults.Model.HiddenSize, 1, CliLimits.MaxWidth);
        var embedding = TrainingFlags.Embedding(defaults.Model.EmbeddingSize);
        var bidirectional = new Option<bool>("--bidirectional") { Description = "bidirectional encoder" };
        var minAccuracy = TrainingFlags.MinAccuracy();
        var command = new Command("train", "Train on balanced brackets; prints loss and held-out accuracy; writes the checkpoint.")
        {
            output, force, steps, batch, length, evalSize, evalEvery, lr, seed, cell, layers, hidden, embedding, bidirectional, minAccuracy, CliOption.TrainingPrecisionRefusal(),
        };
        command.SetAction(parse =>
        {
            var options = new ClassifierOptions
            {
                Steps = parse.GetValue(steps),
                BatchSize = parse.GetValue(batch),
                MaxLength = parse.GetValue(length),
                EvalSize = parse.GetValue(evalSize),
                EvalEvery = parse.GetValue(evalEvery),
                LearningRate = parse.GetValue(lr),
                Seed = parse.GetValue(seed),
                Model = defaults.Model with
                {
                    Cell = CliCell.Parse(parse.GetValue(cell)!),
                    NumLayers = parse.GetValue(layers),
                    HiddenSize = parse.GetValue(hidden),
                    EmbeddingSize = parse.GetValue(embedding),
                    Bidirectional = parse.GetValue(bidirectional),
                },
            };
            string path = parse.GetValue(output)!;
            OutputPath.CheckNewRun(path, "--checkpoint", parse.GetValue(force), canResume: false);
            return Train(options, path, parse.GetValue(minAccuracy), parse.InvocationConfiguration.Output);
        });
        return command;
    }

    private static int Train(ClassifierOptions options, string path, double minAccuracy, TextWriter log)
    {
        OutputPath.Check(path, "--checkpoint");
        using var trainer = new ClassifierTrainer(options);
        ClassifierConfig c = options.Model;
        log.WriteLine($"classify: balanced brackets, lengths 2-{options.MaxLength}; {c.Cell} {c.NumLayers} layer(s), hidden {c.HiddenSize}"
            + $"{(c.Bidirectional ? " bidirectional" : "")}; {trainer.Model.Parameters.Sum(p => p.Length)} parameters; {options.Steps} steps of {options.BatchSize}");
        double accuracy = trainer.Train(log);
        string I(int v) => v.ToString(CultureInfo.InvariantCulture);
        trainer.Model.Save(path, trainer.Optimizer, new Dictionary<string, string>
        {
            ["brackets.max_length"] = I(options.MaxLength),
            ["brackets.eval_size"] = I(options.EvalSize),
            ["brackets.seed"] = I(options.Seed),
        });
        log.WriteLine($"held-out accuracy {accuracy.ToString("P2", CultureInfo.InvariantCulture)} on {options.EvalSize} strings; saved {path}");
        return accuracy >= minAccuracy ? ExitCodes.Ok : ExitCodes.Failed;
    }

    private static Command CreateEval()
    {
        var model = new Option<string>("--checkpoint") { Description = "checkpoint written by `classify train`", Required = true }.WithOldName("--model");
        var inputs = new Argument<string[]>("brackets") { Description = "bracket strings to classify", Arity = ArgumentArity.ZeroOrMore };
        var heldOut = new Option<bool>("--held-out") { Description = "measure accuracy on the checkpoint's held-out strings" };
        var command = new Command("eval", "Classify bracket strings with a trained model, or measure held-out accuracy.") { model, inputs, heldOut };
        command.SetAction(parse =>
            Eval(parse.GetValue(model)!, parse.GetValue(inputs) ?? [], parse.GetValue(heldOut), parse.InvocationConfiguration.Output));
        return command;
    }

    private static int Eval(string path, string[] inputs, bool heldOut, TextWriter output)
    {
        if (inputs.Length == 0 && !heldOut) throw UsageError.Because("give bracket strings to classify, or --held-out");
        int[][] sequences = inputs.Select(BracketTask.Parse).ToArray(); // bad input fails before the model is read
        SafeTensorsFile file = SafeTensorsFile.Read(path);
        using SequenceClassifier model = SequenceClassifier.Load(file);
        if (heldOut)
        {
            const string needs = "--held-out needs a checkpoint written by `classify train`";
            var task = new BracketTask(CheckpointMetadata.Int(file, "brackets.max_length", 2, MaxBrackets, needs),
                CheckpointMetadata.Int(file, "brackets.eval_size", 1, MaxEvalSize, needs), CheckpointMetadata.Int(file, "brackets.seed", int.MinValue, int.MaxValue, needs));
            double accuracy = ClassifierTrainer.Accuracy(model, task.HeldOut);
            output.WriteLine($"held-out accuracy {accuracy.ToString("P2", CultureInfo.InvariantCulture)} on {task.HeldOut.Count} strings of length 2-{task.MaxLength}");
        }
        if (sequences.Length > 0)
        {
            int[] predicted = model.Predict(sequences);
            for (int i = 0; i < inputs.Length; i++)
                output.WriteLine($"{inputs[i]}\t{(predicted[i] == BracketTask.Balanced ? "balanced" : "unbalanced")}");
        }
        return ExitCodes.Ok;
    }
}
