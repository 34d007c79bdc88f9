using System.Diagnostics;
using System.Globalization;
using MklRnn.CharLm;
using MklRnn.Distributed;
using MklRnn.IO;
using MklRnn.Training;

namespace MklRnn.Cli.CharLm;

/// <summary>
/// Trains a character LM by truncated BPTT over N contiguous streams of the training split, one optimizer
/// step per (T, N) chunk, the recurrent state carried from chunk to chunk and reset at each epoch. Each epoch
/// (and every --eval-every steps) ends with a validation pass, which keeps NAME.best.safetensors, drives the plateau
/// schedule and early stopping. Checkpoints every N steps, at the end and on cancellation (Ctrl-C). A step whose
/// loss is not finite or above <see cref="Divergence.MaxLossPerToken"/>, or whose gradient norm is not finite, is skipped (no
/// update); too many in a row stop the run without saving, and no
/// checkpoint is ever written from a non-finite model. The trajectory depends only on the seed and the settings:
/// dropout masks are reseeded from (seed, step) and batches from their index, so a resumed run repeats the
/// uninterrupted one.
/// Data-parallel (<see cref="TrainOptions.Group"/> of several processes): the batch is the global one, each process
/// trains its own block of streams (<see cref="StreamShard"/>), gradients are averaged over the processes before
/// clipping and the optimizer step, so every process takes the same step; losses are summed over the processes
/// before they are shown (so every process takes the same skip, stop and best-model decisions); decisions to stop
/// are taken together; the root process alone writes files.
/// </summary>
internal static class Trainer
{
    /// <summary>Steps the "recent loss" of the progress display averages over.</summary>
    private const int RecentSteps = 50;


    /// <summary>What a run starts from: a new model, a fine-tuned one (--init-from) or a checkpoint (--resume).</summary>
    private sealed record RunStart(CharLmModel Model, Vocabulary Vocabulary, TrainingSettings Settings, TrainingProgress Progress,
        int CheckpointEvery, SafeTensorsFile? ResumeFile, string Text, string? ValidationText);

    public static TrainResult Run(TrainOptions options, Action<TrainingStatus>? onStatus = null, Action<string>? log = null,
        CancellationToken cancel = default)
    {
        options.Budget.Validate();
        TrainBudget budget = options.Budget.OrDefault;
        if (options.CheckpointEvery < 0) throw new CharLmException($"--checkpoint-every must be >= 0, got {options.CheckpointEvery}");
        if (options.Threads < 0) throw new CharLmException($"--threads must be >= 0 (0 = MKL's default), got {options.Threads}");
        if (options.EvalEvery < 0) throw new CharLmException($"--eval-every must be >= 0 (0 = at epoch ends), got {options.EvalEvery}");
        if (options.EarlyStopPatience < 0) throw new CharLmException($"--early-stop must be >= 0 validations (0 = off), got {options.EarlyStopPatience}");
        if (options.MaxSkippedSteps < 1) throw new CharLmException($"--max-skipped-steps must be >= 1, got {options.MaxSkippedSteps}");
        if (options.Resume && options.InitFrom != null) throw new CharLmException("--resume continues a run, --init-from starts a new one from a model: give one of them");
        // Every output location is checked before the work starts (they share the checkpoint's folder).
        OutputPath.Check(options.CheckpointPath, "--checkpoint");
        if (!options.Resume && !options.Force && File.Exists(options.CheckpointPath))
            throw new CharLmException($"{options.CheckpointPath} exists: --resume continues that run, --force replaces it (with its .best, .metrics.csv and .loss.svg files)");

        ProcessGroup group = options.Group;
        RunStart start = options.Resume ? ResumeRun(options, log) : NewRun(options);
        var (model, vocabulary, settings, progress) = (start.Model, start.Vocabulary, start.Settings, start.Progress);
        using (model)
        using (Optimizer optimizer = settings.Optimizer == "sgd"
                   ? new Sgd(model.Parameters, settings.LearningRate, momentum: 0.9f)
                   : new Adam(model.Parameters, settings.LearningRate))
        {
            if (start.ResumeFile != null) Checkpoint.RestoreOptimizer(start.ResumeFile, optimizer);
            group.CheckSameParameters(model.Parameters, options.Resume ? "the checkpoint's parameters" : "the initial parameters");
            // Data-parallel processes on one host share its cores: each takes cores / processes by default.
            int threads = options.Threads > 0 ? options.Threads
                : group.Size > 1 ? Math.Max(1, Environment.ProcessorCount / group.LocalSize) : 0;
            if (threads > 0) MklRuntime.SetThreads(threads);
            model.Rnn.UseSideThread = threads != 1 && Environment.ProcessorCount >= 2;

            var (trainIds, validationIds) = Streams(vocabulary, settings, start.Text, start.ValidationText);
            var batcher = new StreamBatcher(trainIds, settings.BatchSize, settings.SeqLength);
            StreamShard shard = StreamShard.Of(group, settings.BatchSize);
            StreamShard validationShard = StreamShard.ForValidation(group, settings.BatchSize, validationIds.Length);
            var validation = new StreamBatcher(validationIds, validationShard.GlobalStreams, settings.SeqLength);
            if (progress.Chunk >= batcher.ChunkCount)
                throw new CharLmException($"the checkpoint's position (chunk {progress.Chunk}) is past the end of an epoch ({batcher.ChunkCount} chunks)");
            long? totalSteps = budget.Steps ?? (budget.Epochs is int e ? (long)e * batcher.ChunkCount : null);
            var (schedule, plateau) = settings.Schedule.Create(settings.LearningRate, totalSteps, progress.Validation.Select(v => v.Loss));
            log?.Invoke($"model: {model.Spec}; {model.Parameters.Sum(p => (long)p.Length):N0} parameters");
            log?.Invoke($"text: {settings.TextPath ?? Corpus.DefaultName}: {trainIds.Length:N0} training + {validationIds.Length:N0} validation characters"
                + (settings.ValidationTextPath != null ? $" (from {settings.ValidationTextPath})" : "")
                + $"; {batcher.ChunkCount:N0} steps per epoch of {settings.BatchSize} x {settings.SeqLength}"
                + (group.Size > 1 ? $" over {group.Size} ranks ({shard.Count} streams each), {threads} MKL threads per rank" : "")
                + $"; learning rate {settings.LearningRate}, {settings.Schedule}");

            var inputs = new int[shard.Count * settings.SeqLength];
            var targets = new int[inputs.Length];
            model.ResetState(shard.Count, settings.SeqLength);
            if (progress.State != null)
                model.ImportState(group.Size == 1 ? progress.State : shard.Slice(progress.State, model.Spec.NumLayers, model.Spec.HiddenSize));
            var lossSums = new double[2]; // this step's (token loss sum, tokens), summed over the processes

            var session = Stopwatch.StartNew();
            double validationSeconds = 0;
            long sessionTokens = 0;
            bool interrupted = false;
            string? stopReason = null;
            double lastValidation = progress.Validation.Count > 0 ? progress.Validation[^1].Loss : double.NaN;
            double runSecondsBefore = progress.ElapsedSeconds;
            int checkpointEvery = start.CheckpointEvery;
            int skippedInARow = 0;
            // The best validation so far and how many validations since (the history covers resumed sessions too).
            double best = double.PositiveInfinity;
            int sinceBest = 0;
            foreach (var (_, loss) in progress.Validation) Track(loss);

            bool Track(double loss)
            {
                if (double.IsFinite(loss) && loss < best)
                {
                    best = loss;
                    sinceBest = 0;
                    return true;
                }
                sinceBest++;
                return false;
            }

            // A collective when data-parallel (the state is gathered); the root process alone writes.
            void Save(float[] localState)
            {
                progress.ElapsedSeconds = runSecondsBefore + session.Elapsed.TotalSeconds;
                progress.State = group.Size == 1 ? localState : shard.Gather(localState, model.Spec.NumLayers, model.Spec.HiddenSize);
                if (group.IsRoot) Checkpoint.Save(options.CheckpointPath, model, vocabulary, optimizer, settings, progress, checkpointEvery);
            }

            // A validation pass at the current step: timed apart from training, recorded in the history; a new best
            // is saved, the plateau schedule and early stopping see it. The carried state is kept (mid-epoch passes).
            double Validation()
            {
                var clock = Stopwatch.StartNew();
                float[] carried = model.ExportState();
                lastValidation = Validate(model, validation, validationShard, inputs, targets);
                model.ResetState(shard.Count, settings.SeqLength);
                model.ImportState(carried);
                validationSeconds += clock.Elapsed.TotalSeconds;
                progress.Validation.Add((progress.Step, lastValidation));
                if (Track(lastValidation) && group.IsRoot) SaveBest(options.BestPath, model, vocabulary, progress.Step, lastValidation);
                if (plateau != null && plateau.Report(lastValidation))
                    log?.Invoke($"plateau: learning rate lowered to {plateau.CurrentLearningRate} (step {progress.Step})");
                if (options.EarlyStopPatience > 0 && sinceBest >= options.EarlyStopPatience)
                    stopReason = $"early stop: {sinceBest} validations without improvement; best validation perplexity {Perplexity.FromMeanLoss(best):F3} is in {options.BestPath}";
                return lastValidation;
            }

            TrainingDivergedException Diverged(string steps) => new($"training diverged: {steps} had a non-finite (or above {Divergence.MaxLossPerToken}) loss or a non-finite gradient norm; the run stops without saving ("
                + (File.Exists(options.CheckpointPath) ? $"{options.CheckpointPath} keeps its earlier state" : $"{options.CheckpointPath} was not written")
                + "); lower --lr, or clip with --clip");

            using MetricsCsv? metrics = group.IsRoot ? MetricsCsv.Open(options.MetricsPath, options.Resume ? progress.Step : null) : null;
            // A step's metrics row waits until the step is over: the end of the run may still add a validation to it.
            (long Step, double Epochs, double Loss, double Validation, float Rate, double Norm, double Speed)? row = null;
            void WriteRow()
            {
                if (row is { } r) metrics?.Write(r.Step, r.Epochs, r.Loss, r.Validation, r.Rate, r.Norm, r.Speed);
                row = null;
            }

            while (true)
            {
                if (stopReason != null) break; // every process saw the same validation
                // Taken together: a process that stopped alone would leave the others waiting in an all-reduce.
                if (group.Any(budget.Reached(session.Elapsed.TotalSeconds, progress.Step, progress.Epoch))) break;
                if (group.Any(cancel.IsCancellationRequested))
                {
                    interrupted = true;
                    break;
                }
                WriteRow();
                int steps = batcher.Fill(progress.Chunk, inputs, targets, shard.First, shard.Count);
                model.Rnn.SeedDropout(Seeds.Mix(settings.Seed, progress.Step, 5));
                model.HeadDropout.Reseed(Seeds.Mix(settings.Seed, progress.Step, 6));
                optimizer.ZeroGrad();
                LossResult loss = model.TrainChunk(inputs, targets, steps);
                group.AverageGradients(model.Parameters);
                (lossSums[0], lossSums[1]) = (loss.TokenLossSum, loss.TokenCount);
                group.Sum(lossSums);
                loss = new LossResult(lossSums[0] / lossSums[1], (int)lossSums[1], lossSums[0]);
                double norm = settings.ClipNorm > 0
                    ? GradientClipping.ClipByGlobalNorm(model.Parameters, settings.ClipNorm)
                    : GradientClipping.GlobalNorm(model.Parameters);
                float rate = schedule.LearningRateAt(progress.Step);
                if (!Divergence.IsDiverged(loss.MeanTokenLoss, norm))
                {
                    optimizer.LearningRate = rate;
                    optimizer.Step();
                    skippedInARow = 0;
                }
                else
                {
                    // No update from a diverged step; its carried state is suspect too, so streams restart from zero.
                    progress.SkippedSteps++;
                    skippedInARow++;
                    model.ResetState(shard.Count, settings.SeqLength);
                    log?.Invoke($"step {progress.Step + 1}: loss {loss.MeanTokenLoss}, gradient norm {norm}: diverged (not finite, or loss above {Divergence.MaxLossPerToken}), skipped ({skippedInARow} in a row)");
                }
                progress.TrainLoss.Add(loss.MeanTokenLoss);
                progress.Step++;
                progress.Chunk++;
                sessionTokens += loss.TokenCount;
                if (skippedInARow >= options.MaxSkippedSteps)
                {
                    row = (progress.Step, progress.Epoch + (double)progress.Chunk / batcher.ChunkCount, loss.MeanTokenLoss, double.NaN, rate, norm, 0);
                    WriteRow();
                    throw Diverged($"{skippedInARow} steps in a row (to step {progress.Step})");
                }

                double validated = double.NaN;
                if (progress.Chunk == batcher.ChunkCount)
                {
                    progress.Epoch++;
                    progress.Chunk = 0;
                    validated = Validation();
                    log?.Invoke($"epoch {progress.Epoch}: validation perplexity {Perplexity.FromMeanLoss(lastValidation):F3} (step {progress.Step})");
                    model.ResetState(shard.Count, settings.SeqLength); // each epoch starts from a zero state
                }
                else if (options.EvalEvery > 0 && progress.Step % options.EvalEvery == 0)
                {
                    validated = Validation();
                    log?.Invoke($"step {progress.Step}: validation perplexity {Math.Exp(lastValidation):F3}");
                }

                double trainSeconds = session.Elapsed.TotalSeconds - validationSeconds;
                double epochs = progress.Epoch + (double)progress.Chunk / batcher.ChunkCount;
                double speed = trainSeconds > 0 ? sessionTokens / trainSeconds : 0;
                row = (progress.Step, epochs, loss.MeanTokenLoss, validated, rate, norm, speed);
                onStatus?.Invoke(new TrainingStatus(progress.Step, epochs, RecentLoss(progress.TrainLoss), speed,
                    budget.Fraction(session.Elapsed.TotalSeconds, progress.Step, epochs), Perplexity.FromMeanLoss(lastValidation)));
                // While steps are being skipped the model is suspect: its periodic save waits for a finite step.
                if (checkpointEvery > 0 && progress.Step % checkpointEvery == 0 && skippedInARow == 0)
                {
                    Save(model.ExportState());
                    WriteRow();
                    metrics?.Flush();
                }
            }

            // The end: the carried state goes into the checkpoint before a last validation pass resets it.
            float[] finalState = model.ExportState();
            if (progress.Step > 0 && (progress.Validation.Count == 0 || progress.Validation[^1].Step != progress.Step))
            {
                double validated = Validation();
                if (row is { } r && r.Step == progress.Step) row = r with { Validation = validated };
                log?.Invoke($"validation perplexity {Perplexity.FromMeanLoss(lastValidation):F3} (step {progress.Step})");
            }
            WriteRow();
            metrics?.Flush();
            if (stopReason != null) log?.Invoke(stopReason);
            if (progress.SkippedSteps > 0) log?.Invoke($"{progress.SkippedSteps} step(s) of this run were skipped (diverged loss or gradient norm)");
            if (skippedInARow > 0)
                throw Diverged($"the last {skippedInARow} step(s) (to step {progress.Step})");
            Save(finalState);
            if (group.Size > 1)
                log?.Invoke($"data-parallel: {group.Size} ranks; combining gradients took {group.GradientSeconds:F2} s of rank 0's {session.Elapsed.TotalSeconds - validationSeconds:F2} s of training "
                    + $"({100 * group.GradientSeconds / Math.Max(1e-9, session.Elapsed.TotalSeconds - validationSeconds):F1} %)");
            if (group.IsRoot) LossCurveSvg.Write(options.PlotPath, progress, batcher.ChunkCount, model.Spec.ToString());
            return new TrainResult(options.CheckpointPath, options.PlotPath, model.Spec, progress.Step,
                progress.Epoch + (double)progress.Chunk / batcher.ChunkCount, sessionTokens,
                session.Elapsed.TotalSeconds - validationSeconds, RecentLoss(progress.TrainLoss), lastValidation, interrupted)
            {
                BestPath = double.IsFinite(best) ? options.BestPath : null,
                BestValidationLoss = best,
                StopReason = stopReason,
            };
        }
    }

    /// <summary>
    /// Mean loss per character over a pass of the validation split (from a zero state, no dropout); each process
    /// evaluates its shard of the streams and the sums are added over the processes.
    /// </summary>
    internal static double Validate(CharLmModel model, StreamBatcher batcher, StreamShard shard, int[] inputs, int[] targets)
    {
        model.ResetState(shard.Count, batcher.SeqLength);
        var total = new Perplexity();
        for (int chunk = 0; chunk < batcher.ChunkCount; chunk++)
        {
            int steps = batcher.Fill(chunk, inputs, targets, shard.First, shard.Count);
            total.Add(model.EvaluateChunk(inputs, targets, steps));
        }
        double[] sums = [total.TokenLossSum, total.TokenCount];
        shard.Group.Sum(sums);
        return sums[0] / sums[1];
    }

    /// <summary>The best model so far as a model file, with the step and validation loss it was measured at.</summary>
    private static void SaveBest(string path, CharLmModel model, Vocabulary vocabulary, long step, double validationLoss)
    {
        Checkpoint.ThrowIfNotFinite(model, path, step);
        var writer = new SafeTensorsWriter();
        CharLmFile.Add(writer, model, vocabulary);
        writer.SetMetadata("best.step", step.ToString(CultureInfo.InvariantCulture));
        writer.SetMetadata("best.validation_loss", validationLoss.ToString("R", CultureInfo.InvariantCulture));
        writer.SetMetadata("best.validation_perplexity", Perplexity.FromMeanLoss(validationLoss).ToString("R", CultureInfo.InvariantCulture));
        writer.Save(path);
    }

    private static double RecentLoss(List<double> losses)
    {
        double sum = 0;
        int n = 0;
        for (int i = losses.Count - 1; i >= 0 && n < RecentSteps; i--)
            if (double.IsFinite(losses[i]))
            {
                sum += losses[i];
                n++;
            }
        return n > 0 ? sum / n : double.NaN;
    }

    /// <summary>The training and validation streams: a separate validation text, or a held-out share of the text.</summary>
    private static (int[] Train, int[] Validation) Streams(Vocabulary vocabulary, TrainingSettings settings, string text, string? validationText)
    {
        int[] ids = vocabulary.Encode(text, settings.TextPath ?? "default corpus");
        if (validationText == null)
        {
            DataSplit split = DataSplit.Of(ids, settings.ValidationFraction);
            return (split.Train, split.Validation);
        }
        int[] validation = vocabulary.Encode(validationText, settings.ValidationTextPath!);
        if (validation.Length < 2) throw new CharLmException($"--val-text {settings.ValidationTextPath} needs at least 2 characters");
        return (ids, validation);
    }

    private static RunStart NewRun(TrainOptions options)
    {
        TrainingSettings settings = options.Settings;
        settings.Validate();
        string? textPath = settings.TextPath == null ? null : Path.GetFullPath(settings.TextPath);
        string text = Corpus.Load(textPath, settings.AllowInvalidUtf8);
        string? validationPath = settings.ValidationTextPath == null ? null : Path.GetFullPath(settings.ValidationTextPath);
        string? validationText = validationPath == null ? null : Corpus.LoadFile(validationPath, settings.AllowInvalidUtf8);
        settings = settings with
        {
            TextPath = textPath,
            TextFingerprint = Corpus.Fingerprint(text),
            ValidationTextPath = validationPath,
            ValidationFingerprint = validationText == null ? "" : Corpus.Fingerprint(validationText),
        };

        CharLmModel model;
        Vocabulary vocabulary;
        if (options.InitFrom != null)
        {
            (model, vocabulary) = CharLmFile.Load(CharLmFile.Open(options.InitFrom), options.Dropout);
            try
            {
                RequireSameArchitecture(options, model.Spec, "--init-from " + options.InitFrom);
                vocabulary.RequireCovers(text, $"--init-from: the text {textPath ?? Corpus.DefaultName}");
            }
            catch
            {
                model.Dispose();
                throw;
            }
        }
        else
        {
            vocabulary = Vocabulary.FromText(text);
            var spec = new CharLmSpec(options.Cell, vocabulary.Count, options.EmbeddingSize, options.HiddenSize, options.Layers, options.Dropout);
            spec.Validate();
            model = new CharLmModel(spec, settings.Seed);
        }
        if (validationText != null) vocabulary.RequireCovers(validationText, $"--val-text {validationPath}");
        return new RunStart(model, vocabulary, settings, new TrainingProgress(), options.CheckpointEvery, null, text, validationText);
    }

    /// <summary>
    /// A checkpoint's run, with its text (which must be the text it was trained on). Architecture and data flags given
    /// on the command line must match the checkpoint; training flags given are applied, each with a note.
    /// </summary>
    private static RunStart ResumeRun(TrainOptions options, Action<string>? log)
    {
        var (model, vocabulary, stored, progress, checkpointEvery, file) = Checkpoint.Load(options.CheckpointPath);
        try
        {
            TrainingSettings given = options.Settings;
            RequireSameArchitecture(options, model.Spec, "--resume");
            void Fixed<T>(string flag, T value, T inCheckpoint)
            {
                if (options.Given.Contains(flag) && !EqualityComparer<T>.Default.Equals(value, inCheckpoint))
                    throw new CharLmException($"--resume: {flag} {value} differs from the checkpoint's {inCheckpoint}; the data and trajectory of a run are fixed "
                        + "(leave the flag out, start a new run with --force, or fine-tune with --init-from)");
            }
            Fixed("--batch-size", given.BatchSize, stored.BatchSize);
            Fixed("--seq-length", given.SeqLength, stored.SeqLength);
            Fixed("--optimizer", given.Optimizer, stored.Optimizer);
            Fixed("--seed", given.Seed, stored.Seed);
            Fixed("--val-fraction", given.ValidationFraction, stored.ValidationFraction);
            Fixed("--allow-invalid-utf8", given.AllowInvalidUtf8, stored.AllowInvalidUtf8);
            Fixed("--text", given.TextPath == null ? null : Path.GetFullPath(given.TextPath), stored.TextPath);
            Fixed("--val-text", given.ValidationTextPath == null ? null : Path.GetFullPath(given.ValidationTextPath), stored.ValidationTextPath);

            T Training<T>(string flag, T value, T inCheckpoint)
            {
                if (!options.Given.Contains(flag) || EqualityComparer<T>.Default.Equals(value, inCheckpoint)) return inCheckpoint;
                log?.Invoke($"note: --resume applies {flag} {value} (the checkpoint had {inCheckpoint}) from step {progress.Step + 1} on");
                return value;
            }
            TrainingSettings settings = stored with
            {
                LearningRate = Training("--lr", given.LearningRate, stored.LearningRate),
                ClipNorm = Training("--clip", given.ClipNorm, stored.ClipNorm),
                Schedule = stored.Schedule with
                {
                    Name = Training("--lr-schedule", given.Schedule.Name, stored.Schedule.Name),
                    WarmupSteps = Training("--warmup", given.Schedule.WarmupSteps, stored.Schedule.WarmupSteps),
                    Gamma = Training("--lr-gamma", given.Schedule.Gamma, stored.Schedule.Gamma),
                    StepSize = Training("--lr-step", given.Schedule.StepSize, stored.Schedule.StepSize),
                    Patience = Training("--lr-patience", given.Schedule.Patience, stored.Schedule.Patience),
                },
            };
            settings.Validate();
            checkpointEvery = Training("--checkpoint-every", options.CheckpointEvery, checkpointEvery);

            string text = Corpus.Load(settings.TextPath, settings.AllowInvalidUtf8);
            if (Corpus.Fingerprint(text) != settings.TextFingerprint)
                throw new CharLmException($"the text {settings.TextPath ?? Corpus.DefaultName} is not the text this checkpoint was trained on (its fingerprint changed)");
            string? validationText = settings.ValidationTextPath == null ? null : Corpus.LoadFile(settings.ValidationTextPath, settings.AllowInvalidUtf8);
            if (validationText != null && Corpus.Fingerprint(validationText) != settings.ValidationFingerprint)
                throw new CharLmException($"the validation text {settings.ValidationTextPath} is not the one this checkpoint was validated on (its fingerprint changed)");
            return new RunStart(model, vocabulary, settings, progress, checkpointEvery, file, text, validationText);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>Architecture flags given on the command line must match the model a run continues or starts from.</summary>
    private static void RequireSameArchitecture(TrainOptions options, CharLmSpec spec, string what)
    {
        void Same<T>(string flag, T value, T model)
        {
            if (options.Given.Contains(flag) && !EqualityComparer<T>.Default.Equals(value, model))
                throw new CharLmException($"{what}: {flag} {value} differs from the model's {model}; the architecture comes from the model (leave the flag out)");
        }
        Same("--cell", options.Cell.ModeName(), spec.CellName);
        Same("--layers", options.Layers, spec.NumLayers);
        Same("--hidden", options.HiddenSize, spec.HiddenSize);
        Same("--embedding", options.EmbeddingSize, spec.EmbeddingSize);
        if (what == "--resume") Same("--dropout", options.Dropout, spec.Dropout); // a fine-tuning run may change its dropout
    }
}
