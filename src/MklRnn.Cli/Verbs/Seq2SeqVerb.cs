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
/// Exit code 0: done; 1: --min-accuracy not reached, or training diverged (nothing saved); 2: bad input (docs/cli.md).
/// </summary>
internal static class Seq2SeqVerb
{
    /// <summary>Longest digit string a model trains on or decodes (bounds the per-step buffers).</summary>
    private const int MaxDigits = 1000;

    private const int MaxBeam = 1000;

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
        var output = TrainingFlags.Checkpoint();
        var resume = new Option<bool>("--resume") { Description = "continue from the checkpoint at --checkpoint (model and optimizer state)" };
        var force = TrainingFlags.Force();
        var steps = Ranged("--steps", "optimizer steps in total", defaults.Steps, 1, 10_000_000);
        var batch = Ranged("--batch-size", "pairs per step", defaults.BatchSize, 1, CliLimits.MaxBatch).WithOldName("--batch");
        var minLength = Ranged("--min-length", "shortest training string", defaults.MinLength, 1, MaxDigits);
        var length = Ranged("--length", "longest training string and the held-out strings' length", defaults.MaxLength, 1, MaxDigits);
        var evalSize = Ranged("--eval-size", "held-out strings", defaults.EvalSize, 1, 1_000_000);
        var evalEvery = TrainingFlags.EvalEvery(defaults.EvalEvery);
        var lr = TrainingFlags.LearningRate(defaults.LearningRate);
        var clip = Ranged("--clip", "global gradient norm limit", defaults.ClipNorm, 0.0, 1e30);
        var seed = TrainingFlags.Seed(defaults.Seed);
        var cell = CliCell.Option();
        var layers = Ranged("--layers", "layers of encoder and decoder", defaults.Model.NumLayers, 1, CliLimits.MaxLayers);
        var hidden = Ranged("--hidden", "encoder hidden size per direction", defaults.Model.HiddenSize, 1, CliLimits.MaxWidth);
        var embedding = TrainingFlags.Embedding(defaults.Model.EmbeddingSize);
        var bidirectional = new Option<bool>("--bidirectional") { Description = "bidirectional encoder (decoder hidden = 2 x hidden)" };
        var score = OneOf("--score", "attention score", "general", "dot", "general", "concat");
        var noFeeding = new Option<bool>("--no-input-feeding") { Description = "do not feed the previous attentional state to the decoder" };
        var task = OneOf("--task", "reversal (digit strings) or dates (word-level date normalisation, limited vocabulary)", "reversal", "reversal", "dates");
        var attention = OneOf("--attention", "global, local-m (window around the decoder step) or local-p (predicted window)", "global", "global", "local-m", "local-p");
        var window = Ranged("--window", "half-width D of the local attention window (local-m, local-p)", 3, 1, MaxDigits);
        var reverseSource = new Option<bool>("--reverse-source") { Description = "the encoder reads each source reversed" };
        var minAccuracy = TrainingFlags.MinAccuracy();
        var distributed = new Option<bool>("--distributed") { Description = "data-parallel over the ranks of an MPI job (mpirun -np R ...): --batch-size is the global batch" };
        var command = new Command("train", "Train on digit reversal; prints loss and held-out sequence accuracy; writes the checkpoint.")
        {
            output, resume, force, steps, batch, minLength, length, evalSize, evalEvery, lr, clip, seed, cell, layers, hidden, embedding,
            bidirectional, score, noFeeding, task, attention, window, reverseSource, minAccuracy, distributed, CliOption.TrainingPrecisionRefusal(),
        };
        command.SetAction(parse =>
        {
            var options = new ReversalOptions
            {
                Task = parse.GetValue(task)!,
                Steps = parse.GetValue(steps),
                BatchSize = parse.GetValue(batch),
                MinLength = parse.GetValue(minLength),
                MaxLength = parse.GetValue(length),
                EvalSize = parse.GetValue(evalSize),
                EvalEvery = parse.GetValue(evalEvery),
                LearningRate = parse.GetValue(lr),
                ClipNorm = parse.GetValue(clip),
                Seed = parse.GetValue(seed),
                Model = defaults.Model with
                {
                    Cell = CliCell.Parse(parse.GetValue(cell)!),
                    NumLayers = parse.GetValue(layers),
                    HiddenSize = parse.GetValue(hidden),
                    EmbeddingSize = parse.GetValue(embedding),
                    Bidirectional = parse.GetValue(bidirectional),
                    Score = AttentionScores.Parse(parse.GetValue(score)!),
                    InputFeeding = !parse.GetValue(noFeeding),
                    Attention = AttentionKinds.Parse(parse.GetValue(attention)!),
                    Window = parse.GetValue(attention) == "global" ? 0 : parse.GetValue(window),
                    ReverseSource = parse.GetValue(reverseSource),
                },
            };
            if (options.Task == "dates") options = options with { Model = DatesTask.Configure(options.Model) };
            string path = parse.GetValue(output)!;
            bool resumeRun = parse.GetValue(resume);
            if (resumeRun && parse.GetValue(force)) throw UsageError.Because("--resume continues the run at --checkpoint and --force replaces it: give one");
            if (!resumeRun) OutputPath.CheckNewRun(path, "--checkpoint", parse.GetValue(force), canResume: true);
            double min = parse.GetValue(minAccuracy);
            TextWriter log = parse.InvocationConfiguration.Output;
            if (!parse.GetValue(distributed)) return Train(options, path, resumeRun, min, log);
            return DistributedRun.Run("seq2seq train", parse.InvocationConfiguration.Error,
                group => Train(options with { Group = group }, path, resumeRun, min, group.IsRoot ? log : TextWriter.Null));
        });
        return command;
    }

    internal static int Train(ReversalOptions options, string path, bool resume, double minAccuracy, TextWriter log)
    {
        OutputPath.Check(path, "--checkpoint");
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
        return accuracy >= minAccuracy ? ExitCodes.Ok : ExitCodes.Failed;
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
        var model = new Option<string>("--checkpoint") { Description = "checkpoint written by `seq2seq train`", Required = true }.WithOldName("--model");
        var inputs = new Argument<string[]>("inputs") { Description = "digit strings to reverse (dates to normalise, for a dates model)", Arity = ArgumentArity.ZeroOrMore };
        var beam = Ranged("--beam", "beam width (1: greedy)", 1, 1, MaxBeam);
        var nBest = Ranged("--nbest", "hypotheses printed per input (at most --beam)", 1, 1, MaxBeam);
        var alpha = Ranged("--alpha", "length normalisation: score = log P / length^alpha", 0.0, 0.0, 10.0);
        var maxLength = Ranged("--max-length", "longest output (0: input length + 2)", 0, 0, MaxDigits + 2);
        var evaluate = new Option<bool>("--eval") { Description = "measure sequence accuracy on the checkpoint's held-out strings (greedy and beam)" };
        var replaceUnk = new Option<bool>("--replace-unk") { Description = "dates model: replace each <unk> output by the source word attention weighted most" };
        var precision = PrecisionOption();
        var command = new Command("decode", "Reverse digit strings with a trained model (greedy or beam search), or measure held-out accuracy.")
        {
            model, inputs, beam, nBest, alpha, maxLength, evaluate, replaceUnk, precision,
        };
        command.SetAction(parse =>
            Decode(parse.GetValue(model)!, parse.GetValue(inputs) ?? [], parse.GetValue(beam), parse.GetValue(nBest),
                parse.GetValue(alpha), parse.GetValue(maxLength), parse.GetValue(evaluate), parse.InvocationConfiguration.Output, parse.GetValue(replaceUnk),
                ParsePrecision(parse.GetValue(precision)!)));
        return command;
    }

    internal static int Decode(string path, string[] inputs, int beam, int nBest, double alpha, int maxLength, bool evaluate, TextWriter output,
        bool replaceUnk = false, Precision precision = Precision.Float32)
    {
        if (nBest > beam) throw UsageError.Because($"--nbest must be in [1, --beam = {beam}], got {nBest}");
        if (inputs.Length == 0 && !evaluate) throw UsageError.Because("give digit strings to reverse, or --eval");
        SafeTensorsFile file = SafeTensorsFile.Read(path);
        using Seq2SeqModel model = Seq2SeqModel.Load(file);
        model.PrepareInference(precision);
        if (file.Metadata.GetValueOrDefault("task") == "dates") return DecodeDates(file, model, inputs, evaluate, replaceUnk, output);
        if (replaceUnk) throw UsageError.Because("--replace-unk needs a word-level model (seq2seq train --task dates); digit reversal has no <unk>");
        if (evaluate)
        {
            const string needs = "--eval needs a checkpoint written by `seq2seq train`";
            int Meta(string key, int min, int max) => CheckpointMetadata.Int(file, key, min, max, needs);
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
        return ExitCodes.Ok;
    }

    /// <summary>
    /// Greedy decoding of a dates model: --eval prints held-out accuracy without and with &lt;unk&gt; replacement;
    /// inputs ("2 December 2026", "12/2/26") are normalised, replacing &lt;unk&gt; when asked.
    /// </summary>
    private static int DecodeDates(SafeTensorsFile file, Seq2SeqModel model, string[] inputs, bool evaluate, bool replaceUnk, TextWriter output)
    {
        if (evaluate)
        {
            const string needs = "--eval needs a checkpoint written by `seq2seq train`";
            var task = new DatesTask(CheckpointMetadata.Int(file, "reversal.eval_size", 1, ReversalTask.MaxEvalSize, needs),
                CheckpointMetadata.Int(file, "reversal.seed", int.MinValue, int.MaxValue, needs));
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
        return ExitCodes.Ok;
    }
}
