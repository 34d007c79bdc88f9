using System.CommandLine;
using System.Globalization;
using MklRnn.Cli.Classify;
using MklRnn.IO;
using static MklRnn.Cli.CliOption;
using static MklRnn.Cli.Seq2SeqVerb;

namespace MklRnn.Cli;

/// <summary>
/// <c>mklrnn classify train|eval</c>: the many-to-one worked example, telling balanced bracket strings from
/// unbalanced ones with a recurrent encoder and a <see cref="Training.ManyToOneHead"/> over variable-length
/// batches. train writes a checkpoint atomically; eval classifies strings given on the command line, or
/// measures held-out accuracy. Exit code 0: done; 1: --min-accuracy not reached; 2: bad input.
/// </summary>
internal static class ClassifyVerb
{
    private const int Ok = 0, BelowTarget = 1;

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
        var output = new Option<string>("--out") { Description = "checkpoint to write (.safetensors)", Required = true };
        var steps = WithDefault("--steps", "optimizer steps", defaults.Steps);
        var batch = WithDefault("--batch", "strings per step", defaults.BatchSize);
        var length = WithDefault("--max-length", "longest string (lengths are even, from 2)", defaults.MaxLength);
        var evalSize = WithDefault("--eval-size", "held-out strings", defaults.EvalSize);
        var evalEvery = WithDefault("--eval-every", "steps between held-out evaluations (0: only at the end)", defaults.EvalEvery);
        var lr = WithDefault("--lr", "Adam learning rate (cosine decay to 5%)", defaults.LearningRate);
        var seed = WithDefault("--seed", "seed of the weights and of the data", defaults.Seed);
        var cell = WithDefault("--cell", CellKindNames.CommandLineChoices, "lstm");
        var layers = WithDefault("--layers", "recurrent layers", defaults.Model.NumLayers);
        var hidden = WithDefault("--hidden", "hidden size per direction", defaults.Model.HiddenSize);
        var embedding = WithDefault("--embedding", "embedding size", defaults.Model.EmbeddingSize);
        var bidirectional = new Option<bool>("--bidirectional") { Description = "bidirectional encoder" };
        var minAccuracy = WithDefault("--min-accuracy", "exit 1 when the final held-out accuracy is below this (0-1)", 0.0);
        var command = new Command("train", "Train on balanced brackets; prints loss and held-out accuracy; writes the checkpoint.")
        {
            output, steps, batch, length, evalSize, evalEvery, lr, seed, cell, layers, hidden, embedding, bidirectional, minAccuracy, CliOption.TrainingPrecisionRefusal(),
        };
        command.SetAction(parse => Guarded("classify train", parse, () =>
        {
            string cellName = parse.GetValue(cell)!;
            var options = new ClassifierOptions
            {
                Steps = Positive(parse.GetValue(steps), "--steps"),
                BatchSize = Positive(parse.GetValue(batch), "--batch"),
                MaxLength = Positive(parse.GetValue(length), "--max-length"),
                EvalSize = Positive(parse.GetValue(evalSize), "--eval-size"),
                EvalEvery = parse.GetValue(evalEvery),
                LearningRate = parse.GetValue(lr),
                Seed = parse.GetValue(seed),
                Model = defaults.Model with
                {
                    Cell = CellKindNames.Parse(cellName) ?? throw new ArgumentException($"--cell: expected {CellKindNames.CommandLineChoices}, got '{cellName}'"),
                    NumLayers = Positive(parse.GetValue(layers), "--layers"),
                    HiddenSize = Positive(parse.GetValue(hidden), "--hidden"),
                    EmbeddingSize = Positive(parse.GetValue(embedding), "--embedding"),
                    Bidirectional = parse.GetValue(bidirectional),
                },
            };
            return Train(options, parse.GetValue(output)!, parse.GetValue(minAccuracy), parse.InvocationConfiguration.Output);
        }));
        return command;
    }

    private static int Train(ClassifierOptions options, string path, double minAccuracy, TextWriter log)
    {
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
        return accuracy >= minAccuracy ? Ok : BelowTarget;
    }

    private static Command CreateEval()
    {
        var model = new Option<string>("--model") { Description = "checkpoint written by `classify train`", Required = true };
        var inputs = new Argument<string[]>("brackets") { Description = "bracket strings to classify", Arity = ArgumentArity.ZeroOrMore };
        var heldOut = new Option<bool>("--held-out") { Description = "measure accuracy on the checkpoint's held-out strings" };
        var command = new Command("eval", "Classify bracket strings with a trained model, or measure held-out accuracy.") { model, inputs, heldOut };
        command.SetAction(parse => Guarded("classify eval", parse, () =>
            Eval(parse.GetValue(model)!, parse.GetValue(inputs) ?? [], parse.GetValue(heldOut), parse.InvocationConfiguration.Output)));
        return command;
    }

    private static int Eval(string path, string[] inputs, bool heldOut, TextWriter output)
    {
        if (inputs.Length == 0 && !heldOut) throw new ArgumentException("give bracket strings to classify, or --held-out");
        int[][] sequences = inputs.Select(BracketTask.Parse).ToArray(); // bad input fails before the model is read
        SafeTensorsFile file = SafeTensorsFile.Read(path);
        using SequenceClassifier model = SequenceClassifier.Load(file);
        if (heldOut)
        {
            int Meta(string key) => file.Metadata.TryGetValue(key, out string? v) && int.TryParse(v, CultureInfo.InvariantCulture, out int i) ? i
                : throw new InvalidDataException($"{path}: metadata '{key}' is missing; --held-out needs a checkpoint written by `classify train`");
            var task = new BracketTask(Meta("brackets.max_length"), Meta("brackets.eval_size"), Meta("brackets.seed"));
            double accuracy = ClassifierTrainer.Accuracy(model, task.HeldOut);
            output.WriteLine($"held-out accuracy {accuracy.ToString("P2", CultureInfo.InvariantCulture)} on {task.HeldOut.Count} strings of length 2-{task.MaxLength}");
        }
        if (sequences.Length > 0)
        {
            int[] predicted = model.Predict(sequences);
            for (int i = 0; i < inputs.Length; i++)
                output.WriteLine($"{inputs[i]}\t{(predicted[i] == BracketTask.Balanced ? "balanced" : "unbalanced")}");
        }
        return Ok;
    }
}
