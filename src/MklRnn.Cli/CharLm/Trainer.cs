using System.Diagnostics;
using MklRnn.CharLm;
using MklRnn.Distributed;
using MklRnn.IO;
using MklRnn.Interop;
using MklRnn.Training;

namespace MklRnn.Cli.CharLm;

/// <summary>
/// Trains a character LM by truncated BPTT over N contiguous streams of the training split, one optimizer
/// step per (T, N) chunk, the recurrent state carried from chunk to chunk and reset at each epoch. Each epoch
/// ends with a validation pass over the held-out split. Checkpoints every N steps, at the end and on
/// cancellation (Ctrl-C). The trajectory depends only on the seed and the settings: dropout masks are
/// reseeded from (seed, step) and batches from their index, so a resumed run repeats the uninterrupted one.
/// Data-parallel (<see cref="TrainOptions.Group"/> of several processes): the batch is the global one, each process
/// trains its own block of streams (<see cref="StreamShard"/>), gradients are averaged over the processes before
/// clipping and the optimizer step, so every process takes the same step; losses are summed over the processes
/// before they are shown; decisions to stop are taken together; the root process alone writes files.
/// </summary>
internal static class Trainer
{
    /// <summary>Steps the "recent loss" of the progress display averages over.</summary>
    private const int RecentSteps = 50;

    public static TrainResult Run(TrainOptions options, Action<TrainingStatus>? onStatus = null, Action<string>? log = null,
        CancellationToken cancel = default)
    {
        options.Budget.Validate();
        TrainBudget budget = options.Budget.OrDefault;
        if (options.CheckpointEvery < 0) throw new CharLmException($"--checkpoint-every must be >= 0, got {options.CheckpointEvery}");
        if (options.Threads < 0) throw new CharLmException($"--threads must be >= 0 (0 = MKL's default), got {options.Threads}");

        ProcessGroup group = options.Group;
        var (model, vocabulary, settings, progress, resumeFile, text) = options.Resume ? ResumeRun(options) : NewRun(options);
        using (model)
        using (Optimizer optimizer = settings.Optimizer == "sgd"
                   ? new Sgd(model.Parameters, settings.LearningRate, momentum: 0.9f)
                   : new Adam(model.Parameters, settings.LearningRate))
        {
            if (resumeFile != null) Checkpoint.RestoreOptimizer(resumeFile, optimizer);
            group.CheckSameParameters(model.Parameters, options.Resume ? "the checkpoint's parameters" : "the initial parameters");
            // Data-parallel processes on one host share its cores: each takes cores / processes by default.
            int threads = options.Threads > 0 ? options.Threads
                : group.Size > 1 ? Math.Max(1, Environment.ProcessorCount / group.LocalSize) : 0;
            if (threads > 0) MklRuntime.SetThreads(threads);
            model.Rnn.UseSideThread = threads != 1 && Environment.ProcessorCount >= 2;

            DataSplit split = DataSplit.Of(vocabulary.Encode(text, settings.TextPath ?? "default corpus"));
            var batcher = new StreamBatcher(split.Train, settings.BatchSize, settings.SeqLength);
            StreamShard shard = StreamShard.Of(group, settings.BatchSize);
            StreamShard validationShard = StreamShard.ForValidation(group, settings.BatchSize, split.Validation.Length);
            var validation = new StreamBatcher(split.Validation, validationShard.GlobalStreams, settings.SeqLength);
            if (progress.Chunk >= batcher.ChunkCount)
                throw new CharLmException($"the checkpoint's position (chunk {progress.Chunk}) is past the end of an epoch ({batcher.ChunkCount} chunks)");
            log?.Invoke($"model: {model.Spec}; {model.Parameters.Sum(p => (long)p.Length):N0} parameters");
            log?.Invoke($"text: {settings.TextPath ?? Corpus.DefaultName}: {split.Train.Length:N0} training + {split.Validation.Length:N0} validation characters; "
                + $"{batcher.ChunkCount:N0} steps per epoch of {settings.BatchSize} x {settings.SeqLength}"
                + (group.Size > 1 ? $" over {group.Size} ranks ({shard.Count} streams each), {threads} MKL threads per rank" : ""));

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
            double lastValidation = progress.Validation.Count > 0 ? progress.Validation[^1].Loss : double.NaN;
            double runSecondsBefore = progress.ElapsedSeconds;

            // A collective when data-parallel (the state is gathered); the root process alone writes.
            void Save(float[]? localState = null)
            {
                progress.ElapsedSeconds = runSecondsBefore + session.Elapsed.TotalSeconds;
                if (localState != null)
                    progress.State = group.Size == 1 ? localState : shard.Gather(localState, model.Spec.NumLayers, model.Spec.HiddenSize);
                if (group.IsRoot) Checkpoint.Save(options.CheckpointPath, model, vocabulary, optimizer, settings, progress);
            }

            // A validation pass at the current step: timed apart from training, recorded in the history.
            void RecordValidation()
            {
                var clock = Stopwatch.StartNew();
                lastValidation = Validate(model, validation, validationShard, inputs, targets);
                validationSeconds += clock.Elapsed.TotalSeconds;
                progress.Validation.Add((progress.Step, lastValidation));
            }

            while (true)
            {
                // Taken together: a process that stopped alone would leave the others waiting in an all-reduce.
                if (group.Any(budget.Reached(session.Elapsed.TotalSeconds, progress.Step, progress.Epoch))) break;
                if (group.Any(cancel.IsCancellationRequested))
                {
                    interrupted = true;
                    break;
                }
                int steps = batcher.Fill(progress.Chunk, inputs, targets, shard.First, shard.Count);
                model.Rnn.SeedDropout(Seeds.Mix(settings.Seed, progress.Step, 5));
                model.HeadDropout.Reseed(Seeds.Mix(settings.Seed, progress.Step, 6));
                optimizer.ZeroGrad();
                LossResult loss = model.TrainChunk(inputs, targets, steps);
                group.AverageGradients(model.Parameters);
                (lossSums[0], lossSums[1]) = (loss.TokenLossSum, loss.TokenCount);
                group.Sum(lossSums);
                loss = new LossResult(lossSums[0] / lossSums[1], (int)lossSums[1], lossSums[0]);
                if (settings.ClipNorm > 0) GradientClipping.ClipByGlobalNorm(model.Parameters, settings.ClipNorm);
                optimizer.Step();
                progress.TrainLoss.Add(loss.MeanTokenLoss);
                progress.Step++;
                progress.Chunk++;
                sessionTokens += loss.TokenCount;

                if (progress.Chunk == batcher.ChunkCount)
                {
                    progress.Epoch++;
                    progress.Chunk = 0;
                    RecordValidation();
                    log?.Invoke($"epoch {progress.Epoch}: validation perplexity {Perplexity.FromMeanLoss(lastValidation):F3} (step {progress.Step})");
                    model.ResetState(shard.Count, settings.SeqLength); // each epoch starts from a zero state
                }

                double trainSeconds = session.Elapsed.TotalSeconds - validationSeconds;
                double epochs = progress.Epoch + (double)progress.Chunk / batcher.ChunkCount;
                onStatus?.Invoke(new TrainingStatus(progress.Step, epochs, RecentLoss(progress.TrainLoss),
                    trainSeconds > 0 ? sessionTokens / trainSeconds : 0, budget.Fraction(session.Elapsed.TotalSeconds, progress.Step, epochs),
                    Perplexity.FromMeanLoss(lastValidation)));
                if (options.CheckpointEvery > 0 && progress.Step % options.CheckpointEvery == 0) Save(model.ExportState());
            }

            // The end: the carried state goes into the checkpoint before a last validation pass resets it.
            float[] finalState = model.ExportState();
            if (progress.Step > 0 && (progress.Validation.Count == 0 || progress.Validation[^1].Step != progress.Step))
            {
                RecordValidation();
                log?.Invoke($"validation perplexity {Perplexity.FromMeanLoss(lastValidation):F3} (step {progress.Step})");
            }
            Save(finalState);
            if (group.Size > 1)
                log?.Invoke($"data-parallel: {group.Size} ranks; combining gradients took {group.GradientSeconds:F2} s of rank 0's {session.Elapsed.TotalSeconds - validationSeconds:F2} s of training "
                    + $"({100 * group.GradientSeconds / Math.Max(1e-9, session.Elapsed.TotalSeconds - validationSeconds):F1} %)");
            if (group.IsRoot) LossCurveSvg.Write(options.PlotPath, progress, batcher.ChunkCount, model.Spec.ToString());
            return new TrainResult(options.CheckpointPath, options.PlotPath, model.Spec, progress.Step,
                progress.Epoch + (double)progress.Chunk / batcher.ChunkCount, sessionTokens,
                session.Elapsed.TotalSeconds - validationSeconds, RecentLoss(progress.TrainLoss), lastValidation, interrupted);
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

    private static double RecentLoss(List<double> losses)
    {
        if (losses.Count == 0) return double.NaN;
        int n = Math.Min(RecentSteps, losses.Count);
        double sum = 0;
        for (int i = losses.Count - n; i < losses.Count; i++) sum += losses[i];
        return sum / n;
    }

    private static (CharLmModel, Vocabulary, TrainingSettings, TrainingProgress, SafeTensorsFile?, string Text) NewRun(TrainOptions options)
    {
        TrainingSettings settings = options.Settings;
        settings.Validate();
        string? textPath = settings.TextPath == null ? null : Path.GetFullPath(settings.TextPath);
        string text = Corpus.Load(textPath);
        var vocabulary = Vocabulary.FromText(text);
        settings = settings with { TextPath = textPath, TextFingerprint = Corpus.Fingerprint(text) };
        var spec = new CharLmSpec(options.Cell, vocabulary.Count, options.EmbeddingSize, options.HiddenSize, options.Layers, options.Dropout);
        spec.Validate();
        return (new CharLmModel(spec, settings.Seed), vocabulary, settings, new TrainingProgress(), null, text);
    }

    /// <summary>A checkpoint's run, with its text (which must be the text it was trained on).</summary>
    private static (CharLmModel, Vocabulary, TrainingSettings, TrainingProgress, SafeTensorsFile?, string Text) ResumeRun(TrainOptions options)
    {
        var (model, vocabulary, settings, progress, file) = Checkpoint.Load(options.CheckpointPath);
        try
        {
            string text = Corpus.Load(settings.TextPath);
            if (Corpus.Fingerprint(text) != settings.TextFingerprint)
                throw new CharLmException($"the text {settings.TextPath ?? Corpus.DefaultName} is not the text this checkpoint was trained on (its fingerprint changed)");
            return (model, vocabulary, settings, progress, file, text);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }
}
