using System.CommandLine;
using System.Globalization;
using MklRnn.Cli.Seq2Seq;
using MklRnn.IO;
using MklRnn.Seq2Seq;
using MklRnn.Training;
using static MklRnn.Cli.CliOption;

namespace MklRnn.Cli;

/// <summary>
/// <c>mklrnn seq2seq train|decode</c>: the worked sequence-to-sequence example, reversing digit strings with an
/// attentional encoder-decoder. train writes a checkpoint (model, optimizer state, task settings) atomically;
/// decode reverses strings given on the command line, or measures held-out accuracy (greedy or beam search).
/// Exit code 0: done; 1: --min-accuracy not reached, or training diverged (nothing saved); 2: bad input.
/// </summary>
internal static class Seq2SeqVerb
{
    private const int Ok = 0, BelowTarget = 1, BadInput = 2;

    public static Command Create()
    {
        var command = new Command("seq2seq", "Sequence to sequence with Luong attention: the digit-reversal example (train, decode).");
        command.Subcommands.Add(CreateTrain());
        command.Subcommands.Add(CreateDecode());
        return command;
    }

    private static Command CreateTrain()
    {
        var defaults = new ReversalOptions();
        var output = new Option<string>("--out") { Description = "checkpoint to write (.safetensors)", Required = true };
        var resume = new Option<bool>("--resume") { Description = "continue from the checkpoint at --out (model and optimizer state)" };
        var steps = WithDefault("--steps", "optimizer steps in total", defaults.Steps);
        var batch = WithDefault("--batch", "pairs per step", defaults.BatchSize);
        var minLength = WithDefault("--min-length", "shortest training string", defaults.MinLength);
        var length = WithDefault("--length", "longest training string and the held-out strings' length", defaults.MaxLength);
        var evalSize = WithDefault("--eval-size", "held-out strings", defaults.EvalSize);
        var evalEvery = WithDefault("--eval-every", "steps between held-out evaluations (0: only at the end)", defaults.EvalEvery);
        var lr = WithDefault("--lr", "Adam learning rate (cosine decay to 5%)", defaults.LearningRate);
        var clip = WithDefault("--clip", "global gradient norm limit", defaults.ClipNorm);
        var seed = WithDefault("--seed", "seed of the weights and of the data", defaults.Seed);
        var cell = WithDefault("--cell", "lstm, gru, rnn_tanh or rnn_relu", "lstm");
        var layers = WithDefault("--layers", "layers of encoder and decoder", defaults.Model.NumLayers);
        var hidden = WithDefault("--hidden", "encoder hidden size per direction", defaults.Model.HiddenSize);
        var embedding = WithDefault("--embedding", "embedding size", defaults.Model.EmbeddingSize);
        var bidirectional = new Option<bool>("--bidirectional") { Description = "bidirectional encoder (decoder hidden = 2 x hidden)" };
        var score = WithDefault("--score", "attention score: dot, general or concat", "general");
        var noFeeding = new Option<bool>("--no-input-feeding") { Description = "do not feed the previous attentional state to the decoder" };
        var task = WithDefault("--task", "reversal (digit strings) or dates (word-level date normalisation, limited vocabulary)", "reversal");
        var attention = WithDefault("--attention", "global, local-m (window around the decoder step) or local-p (predicted window)", "global");
        var window = WithDefault("--window", "half-width D of the local attention window", 3);
        var reverseSource = new Option<bool>("--reverse-source") { Description = "the encoder reads each source reversed" };
        var minAccuracy = WithDefault("--min-accuracy", "exit 1 when the final held-out accuracy is below this (0-1)", 0.0);
        var distributed = new Option<bool>("--distributed") { Description = "data-parallel over the ranks of an MPI job (mpirun -np R ...): --batch is the global batch" };
        var command = new Command("train", "Train on digit reversal; prints loss and held-out sequence accuracy; writes the checkpoint.")
        {
            output, resume, steps, batch, minLength, length, evalSize, evalEvery, lr, clip, seed, cell, layers, hidden, embedding,
            bidirectional, score, noFeeding, task, attention, window, reverseSource, minAccuracy, distributed, CliOption.TrainingPrecisionRefusal(),
        };
        command.SetAction(parse => Guarded("seq2seq train", parse, () =>
        {
            var options = new ReversalOptions
            {
                Task = parse.GetValue(task)! is "reversal" or "dates" ? parse.GetValue(task)! : throw new ArgumentException($"--task: expected reversal or dates, got '{parse.GetValue(task)}'"),
                Steps = Positive(parse.GetValue(steps), "--steps"),
                BatchSize = Positive(parse.GetValue(batch), "--batch"),
                MinLength = Positive(parse.GetValue(minLength), "--min-length"),
                MaxLength = Positive(parse.GetValue(length), "--length"),
                EvalSize = Positive(parse.GetValue(evalSize), "--eval-size"),
                EvalEvery = parse.GetValue(evalEvery),
                LearningRate = parse.GetValue(lr),
                ClipNorm = parse.GetValue(clip),
                Seed = parse.GetValue(seed),
                Model = defaults.Model with
                {
                    Cell = ParseCell(parse.GetValue(cell)!),
                    NumLayers = Positive(parse.GetValue(layers), "--layers"),
                    HiddenSize = Positive(parse.GetValue(hidden), "--hidden"),
                    EmbeddingSize = Positive(parse.GetValue(embedding), "--embedding"),
                    Bidirectional = parse.GetValue(bidirectional),
                    Score = AttentionScores.Parse(parse.GetValue(score)!),
                    InputFeeding = !parse.GetValue(noFeeding),
                    Attention = ParseAttention(parse.GetValue(attention)!),
                    Window = ParseAttention(parse.GetValue(attention)!) == AttentionKind.Global ? 0 : Positive(parse.GetValue(window), "--window"),
                    ReverseSource = parse.GetValue(reverseSource),
                },
            };
            if (options.Task == "dates") options = options with { Model = DatesTask.Configure(options.Model) };
            string path = parse.GetValue(output)!;
            bool resumeRun = parse.GetValue(resume);
            double min = parse.GetValue(minAccuracy);
            TextWriter log = parse.InvocationConfiguration.Output;
            if (!parse.GetValue(distributed)) return Train(options, path, resumeRun, min, log);
            return DistributedRun.Run("seq2seq train", parse.InvocationConfiguration.Error,
                group => Train(options with { Group = group }, path, resumeRun, min, group.IsRoot ? log : TextWriter.Null));
        }));
        return command;
    }

    internal static int Train(ReversalOptions options, string path, bool resume, double minAccuracy, TextWriter log)
    {
        OutputPath.Check(path, "--out");
        using var trainer = resume ? Resumed(options, path) : new ReversalTrainer(options);
        if (resume) options.Group.CheckSameParameters(trainer.Model.Parameters, "the checkpoint's parameters");
        Seq2SeqConfig c = trainer.Model.Config;
        string what = options.Task == "dates" ? "normalising dates" : $"reversing {options.MinLength}-{options.MaxLength} digit strings";
        log.WriteLine($"seq2seq: {what}; {c.Cell} {c.NumLayers} layer(s), hidden {c.HiddenSize}"
            + $"{(c.Bidirectional ? " bidirectional" : "")}, attention {AttentionKinds.Name(c.Attention)}{(c.Window > 0 ? $" D={c.Window}" : "")} {AttentionScores.Name(c.Score)}"
            + $"{(c.InputFeeding ? ", input feeding" : "")}{(c.ReverseSource ? ", reversed source" : "")}; "
            + $"{trainer.Model.Parameters.Sum(p => p.Length)} parameters; {options.Steps} steps of {options.BatchSize}");
        double accuracy = trainer.Train(log);
        if (NonFiniteCheck.Find(trainer.Model.Parameters) is { } bad)
            throw new TrainingDivergedException($"training diverged: the model is not finite ({NonFiniteCheck.Describe(bad)}); {path} was not written");
        if (options.Group.IsRoot) trainer.Model.Save(path, trainer.Optimizer, TaskMetadata(options));
        string heldOut = options.Task == "dates" ? "dates (no <unk> replacement)" : $"strings of {options.MaxLength} digits";
        log.WriteLine($"held-out sequence accuracy {accuracy.ToString("P2", CultureInfo.InvariantCulture)} on {options.EvalSize} {heldOut}; saved {path}");
        return accuracy >= minAccuracy ? Ok : BelowTarget;
    }

    private static ReversalTrainer Resumed(ReversalOptions options, string path)
    {
        SafeTensorsFile file = SafeTensorsFile.Read(path);
        Seq2SeqModel model = Seq2SeqModel.Load(file);
        var trainer = new ReversalTrainer(options with { Model = model.Config }, model);
        Seq2SeqModel.LoadOptimizerState(file, trainer.Optimizer);
        return trainer;
    }

    private static Dictionary<string, string> TaskMetadata(ReversalOptions o) => new()
    {
        ["task"] = o.Task,
        ["reversal.min_length"] = o.MinLength.ToString(CultureInfo.InvariantCulture),
        ["reversal.max_length"] = o.MaxLength.ToString(CultureInfo.InvariantCulture),
        ["reversal.eval_size"] = o.EvalSize.ToString(CultureInfo.InvariantCulture),
        ["reversal.seed"] = o.Seed.ToString(CultureInfo.InvariantCulture),
    };

    private static Command CreateDecode()
    {
        var model = new Option<string>("--model") { Description = "checkpoint written by `seq2seq train`", Required = true };
        var inputs = new Argument<string[]>("inputs") { Description = "digit strings to reverse (dates to normalise, for a dates model)", Arity = ArgumentArity.ZeroOrMore };
        var beam = WithDefault("--beam", "beam width (1: greedy)", 1);
        var nBest = WithDefault("--nbest", "hypotheses printed per input", 1);
        var alpha = WithDefault("--alpha", "length normalisation: score = log P / length^alpha", 0.0);
        var maxLength = WithDefault("--max-length", "longest output (0: input length + 2)", 0);
        var evaluate = new Option<bool>("--eval") { Description = "measure sequence accuracy on the checkpoint's held-out strings (greedy and beam)" };
        var replaceUnk = new Option<bool>("--replace-unk") { Description = "dates model: replace each <unk> output by the source word attention weighted most" };
        var precision = PrecisionOption();
        var command = new Command("decode", "Reverse digit strings with a trained model (greedy or beam search), or measure held-out accuracy.")
        {
            model, inputs, beam, nBest, alpha, maxLength, evaluate, replaceUnk, precision,
        };
        command.SetAction(parse => Guarded("seq2seq decode", parse, () =>
            Decode(parse.GetValue(model)!, parse.GetValue(inputs) ?? [], parse.GetValue(beam), parse.GetValue(nBest),
                parse.GetValue(alpha), parse.GetValue(maxLength), parse.GetValue(evaluate), parse.InvocationConfiguration.Output, parse.GetValue(replaceUnk),
                ParsePrecision(parse.GetValue(precision)!))));
        return command;
    }

    internal static int Decode(string path, string[] inputs, int beam, int nBest, double alpha, int maxLength, bool evaluate, TextWriter output,
        bool replaceUnk = false, Precision precision = Precision.Float32)
    {
        Positive(beam, "--beam");
        if (nBest < 1 || nBest > beam) throw new ArgumentException($"--nbest must be in [1, --beam = {beam}], got {nBest}");
        if (inputs.Length == 0 && !evaluate) throw new ArgumentException("give digit strings to reverse, or --eval");
        SafeTensorsFile file = SafeTensorsFile.Read(path);
        using Seq2SeqModel model = Seq2SeqModel.Load(file);
        model.PrepareInference(precision);
        if (file.Metadata.GetValueOrDefault("task") == "dates") return DecodeDates(file, model, inputs, evaluate, replaceUnk, output);
        if (replaceUnk) throw new ArgumentException("--replace-unk needs a word-level model (seq2seq train --task dates); digit reversal has no <unk>");
        if (evaluate)
        {
            // Metadata numbers are bounded before they size anything (a crafted file must not hang or exhaust memory).
            int Meta(string key, int min, int max)
            {
                if (!file.Metadata.TryGetValue(key, out string? v))
                    throw new InvalidDataException($"{path}: metadata '{key}' is missing; --eval needs a checkpoint written by `seq2seq train`");
                return int.TryParse(v, CultureInfo.InvariantCulture, out int i) && i >= min && i <= max ? i
                    : throw new InvalidDataException($"{path}: metadata '{key}' = '{v}' is not an integer in [{min}, {max}]");
            }
            int length = Meta("reversal.max_length", 1, ReversalTask.MaxStringLength);
            var task = new ReversalTask(Meta("reversal.min_length", 1, length), length, Meta("reversal.eval_size", 1, ReversalTask.MaxEvalSize),
                Meta("reversal.seed", int.MinValue, int.MaxValue));
            int limit = maxLength > 0 ? maxLength : length + 2;
            var clock = System.Diagnostics.Stopwatch.StartNew();
            Hypothesis[] greedy = SequenceAccuracy.Decode(model, task.HeldOut, 1, limit, 0);
            double greedySeconds = clock.Elapsed.TotalSeconds;
            clock.Restart();
            Hypothesis[] beamed = SequenceAccuracy.Decode(model, task.HeldOut, beam, limit, alpha);
            double beamSeconds = clock.Elapsed.TotalSeconds;
            int greedyRight = 0, beamRight = 0, beamBetter = 0, beamWorse = 0;
            for (int i = 0; i < greedy.Length; i++)
            {
                int[] want = ReversalTask.Reverse(task.HeldOut[i]);
                if (SequenceAccuracy.IsExact(greedy[i], want)) greedyRight++;
                if (SequenceAccuracy.IsExact(beamed[i], want)) beamRight++;
                if (beamed[i].LogProbability > greedy[i].LogProbability + 1e-6) beamBetter++;
                if (beamed[i].LogProbability < greedy[i].LogProbability - 1e-6) beamWorse++;
            }
            output.WriteLine($"held-out: {greedy.Length} strings of {length} digits");
            string Rate(double seconds) => $"{seconds:F2} s, {greedy.Length / seconds:F0} strings/s";
            output.WriteLine($"greedy        sequence accuracy {(double)greedyRight / greedy.Length:P2}  ({Rate(greedySeconds)})");
            output.WriteLine($"beam {beam,-3} a={alpha.ToString(CultureInfo.InvariantCulture),-4} sequence accuracy {(double)beamRight / greedy.Length:P2}  ({Rate(beamSeconds)}; log P above greedy's on {beamBetter}, below on {beamWorse})");
        }
        if (inputs.Length > 0)
        {
            int[][] sources = inputs.Select(ReversalTask.Parse).ToArray();
            var batch = TokenBatch.From(sources, model.Config.SourceVocabularySize);
            int limit = maxLength > 0 ? maxLength : batch.SeqLength + 2;
            IReadOnlyList<Hypothesis>[] results = BeamSearch.Decode(model.StartDecoding(batch, beam), beam, limit, alpha, nBest);
            for (int i = 0; i < inputs.Length; i++)
                foreach (Hypothesis h in results[i])
                    output.WriteLine($"{inputs[i]}\t{ReversalTask.Format(h.Tokens)}\tlogP {h.LogProbability.ToString("F4", CultureInfo.InvariantCulture)}"
                        + $"\tscore {h.Score.ToString("F4", CultureInfo.InvariantCulture)}{(h.Ended ? "" : "\t(no EOS)")}");
        }
        return Ok;
    }

    /// <summary>
    /// Greedy decoding of a dates model: --eval prints held-out accuracy without and with &lt;unk&gt; replacement;
    /// inputs ("2 December 2026", "12/2/26") are normalised, replacing &lt;unk&gt; when asked.
    /// </summary>
    private static int DecodeDates(SafeTensorsFile file, Seq2SeqModel model, string[] inputs, bool evaluate, bool replaceUnk, TextWriter output)
    {
        if (evaluate)
        {
            int Meta(string key) => file.Metadata.TryGetValue(key, out string? v) && int.TryParse(v, CultureInfo.InvariantCulture, out int i) ? i
                : throw new InvalidDataException($"{file.SourceName}: metadata '{key}' is missing; --eval needs a checkpoint written by `seq2seq train`");
            var task = new DatesTask(Meta("reversal.eval_size"), Meta("reversal.seed"));
            int rare = task.HeldOut.Count(p => DatesTask.TargetVocabulary.Id(p.Target[0]) == DatesTask.Unk);
            output.WriteLine($"held-out: {task.HeldOut.Count} dates, {rare} with a year outside the vocabulary");
            foreach (bool replace in new[] { false, true })
                output.WriteLine($"greedy {(replace ? "with   " : "without")} <unk> replacement: sequence accuracy "
                    + UnknownWordReplacement.Accuracy(model, task.HeldOut, replace).ToString("P2", CultureInfo.InvariantCulture));
        }
        if (inputs.Length > 0)
        {
            var translated = UnknownWordReplacement.Translate(model, inputs.Select(DatesTask.Tokenize).ToArray(), replaceUnk);
            for (int i = 0; i < inputs.Length; i++)
                output.WriteLine($"{inputs[i]}\t{string.Join(' ', translated[i].Words)}{(translated[i].Ended ? "" : "\t(no EOS)")}");
        }
        return Ok;
    }

    /// <summary>Runs a subcommand; a user error (bad value, unreadable or unwritable file) is one line on stderr and exit 2.</summary>
    internal static int Guarded(string verb, ParseResult parse, Func<int> run)
    {
        try
        {
            return run();
        }
        catch (Exception e) when (e is ArgumentException or InvalidDataException or IOException or UnauthorizedAccessException)
        {
            parse.InvocationConfiguration.Error.WriteLine($"{verb}: {e.Message}");
            return BadInput;
        }
        catch (TrainingDivergedException e)
        {
            parse.InvocationConfiguration.Error.WriteLine($"{verb}: {e.Message}");
            return BelowTarget;
        }
    }

    internal static int Positive(int value, string name) =>
        value >= 1 ? value : throw new ArgumentException($"{name} must be >= 1, got {value}");

    private static AttentionKind ParseAttention(string name) => name is "global" or "local-m" or "local-p"
        ? AttentionKinds.Parse(name)
        : throw new ArgumentException($"--attention: expected global, local-m or local-p, got '{name}'");

    private static CellKind ParseCell(string name) => name switch
    {
        "lstm" => CellKind.Lstm,
        "gru" => CellKind.Gru,
        "rnn_tanh" => CellKind.RnnTanh,
        "rnn_relu" => CellKind.RnnRelu,
        _ => throw new ArgumentException($"--cell: expected lstm, gru, rnn_tanh or rnn_relu, got '{name}'"),
    };
}
