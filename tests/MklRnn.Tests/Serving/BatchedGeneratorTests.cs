using MklRnn.CharLm;

namespace MklRnn.Tests.Serving;

/// <summary>The continuous-batching loop against the one-stream Sampler, and BatchScorer against Evaluator.</summary>
public class BatchedGeneratorTests
{
    private static readonly string[] Prompts = ["The ", "A journey", "T", "", "fortune cookies", "Simplicity is", "all who", "x"];

    [Fact]
    public void MultiplyAddsPerRowCountEveryLayersGateGemmsAndTheHead()
    {
        var config = new RnnConfig(CellKind.Lstm, inputSize: 64, hiddenSize: 512, numLayers: 2);
        // Layer 0: 4*512 x (64 + 512); layer 1: 4*512 x (512 + 512); head: 512 x 90.
        Assert.Equal(4L * 512 * 576 + 4L * 512 * 1024 + 512 * 90, BatchedGenerator.MultiplyAddsPerRow(config, 90));
    }

    [Fact]
    public void OneMklThreadOrTwoGiveTheSameStreams()
    {
        using var folder = new TempFolder();
        var (_, checkpoint) = CharLmFixtures.TrainTiny(folder, steps: 4, CellKind.Lstm, 2);
        var (model, vocabulary) = CharLmFile.Load(checkpoint);
        using (model)
        {
            string Run(long singleThreadBelow)
            {
                var generator = new BatchedGenerator(model, vocabulary, capacity: 8) { SingleThreadBelow = singleThreadBelow };
                var streams = Prompts.Select((p, i) => new GenerationStream(PromptIds(vocabulary, p), 30, new SamplingSettings(0.9f, Seed: i))).ToList();
                generator.Admit(streams);
                while (generator.Step() > 0) { }
                return string.Join("|", streams.Select(s => s.Completion.Result.Text));
            }
            string oneThread = Run(long.MaxValue), mklsChoice = Run(0);
            Assert.Equal(Prompts.Length * 30 + Prompts.Length - 1, oneThread.Length);
            Assert.Equal(oneThread, mklsChoice);
        }
    }

    [Theory]
    [InlineData(CellKind.Lstm, 2, 0f)]
    [InlineData(CellKind.Gru, 1, 0f)]
    [InlineData(CellKind.Lstm, 2, 0.8f)]
    public async Task StreamsJoiningAndLeavingAtDifferentStepsGiveWhatTheyGiveAlone(CellKind cell, int layers, float temperature)
    {
        using var folder = new TempFolder();
        var (_, checkpoint) = CharLmFixtures.TrainTiny(folder, steps: 6, cell, layers);
        var (model, vocabulary) = CharLmFile.Load(checkpoint);
        using (model)
        {
            var sampler = new Sampler(model, vocabulary);
            string[] prompts = Prompts.Where(p => p != "x").ToArray();
            string[] alone = prompts.Select((p, i) => sampler.Generate(p, 20 + i, temperature, 0, seed: 100 + i)[p.Length..]).ToArray();

            var generator = new BatchedGenerator(model, vocabulary, capacity: 4);
            var pending = new Queue<GenerationStream>(prompts.Select((p, i) =>
                new GenerationStream(PromptIds(vocabulary, p), 20 + i, new SamplingSettings(temperature, Seed: 100 + i))));
            var all = pending.ToArray();
            int steps = 0;
            while (pending.Count > 0 || generator.Active > 0)
            {
                // One newcomer every other step, as far as rows are free: rows leave and join mid-run.
                if (pending.Count > 0 && generator.FreeRows > 0 && steps % 2 == 0) generator.Admit([pending.Dequeue()]);
                generator.Step();
                steps++;
                Assert.True(steps < 1000);
            }
            for (int i = 0; i < prompts.Length; i++)
            {
                GenerationResult r = await all[i].Completion;
                Assert.Equal(alone[i], r.Text);
                Assert.Equal(FinishReason.Length, r.Reason);
                Assert.Equal(20 + i, r.Tokens);
            }
        }
    }

    [Fact]
    public async Task ACancelledStreamLeavesAndItsRowServesTheNextStream()
    {
        using var folder = new TempFolder();
        var (_, checkpoint) = CharLmFixtures.TrainTiny(folder, steps: 4);
        var (model, vocabulary) = CharLmFile.Load(checkpoint);
        using (model)
        {
            var generator = new BatchedGenerator(model, vocabulary, capacity: 1);
            using var cancel = new CancellationTokenSource();
            var first = new GenerationStream(PromptIds(vocabulary, "The"), 1000, new SamplingSettings(0f), cancellation: cancel.Token);
            generator.Admit([first]);
            generator.Step();
            Assert.Equal(0, generator.FreeRows);
            cancel.Cancel();
            generator.Step();
            Assert.Equal(FinishReason.Cancelled, (await first.Completion).Reason);
            Assert.Equal(1, generator.FreeRows);

            var second = new GenerationStream(PromptIds(vocabulary, "The"), 5, new SamplingSettings(0f));
            generator.Admit([second]);
            while (generator.Active > 0) generator.Step();
            Assert.Equal(new Sampler(model, vocabulary).Generate("The", 5, 0f, 0, 1)[3..], (await second.Completion).Text);
        }
    }

    [Fact]
    public async Task AStopStringEndsTheStreamAndIsNeitherReturnedNorStreamed()
    {
        using var folder = new TempFolder();
        var (_, checkpoint) = CharLmFixtures.TrainTiny(folder, steps: 4);
        var (model, vocabulary) = CharLmFile.Load(checkpoint);
        using (model)
        {
            string full = new Sampler(model, vocabulary).Generate("The", 30, 0f, 0, 1)[3..];
            string stop = full.Substring(10, 2);
            int at = full.IndexOf(stop, StringComparison.Ordinal);
            var streamed = new System.Text.StringBuilder();
            var generator = new BatchedGenerator(model, vocabulary, capacity: 2);
            var s = new GenerationStream(PromptIds(vocabulary, "The"), 30, new SamplingSettings(0f), [stop], t => streamed.Append(t));
            generator.Admit([s]);
            while (generator.Active > 0) generator.Step();
            GenerationResult r = await s.Completion;
            Assert.Equal(FinishReason.Stop, r.Reason);
            Assert.Equal(full[..at], r.Text);
            Assert.Equal(r.Text, streamed.ToString());
        }
    }

    [Fact]
    public void ASteadyStateStepAllocatesNothing()
    {
        using var folder = new TempFolder();
        var (_, checkpoint) = CharLmFixtures.TrainTiny(folder, steps: 2);
        var (model, vocabulary) = CharLmFile.Load(checkpoint);
        using (model)
        {
            var generator = new BatchedGenerator(model, vocabulary, capacity: 8);
            generator.Admit(Enumerable.Range(0, 8).Select(i =>
                new GenerationStream(PromptIds(vocabulary, "The"), 1000, new SamplingSettings(0.9f, TopK: 5, Seed: i))).ToArray());
            for (int i = 0; i < 5; i++) generator.Step(); // the first steps size the engine's buffers
            long before = GC.GetAllocatedBytesForCurrentThread();
            int rows = 0;
            for (int i = 0; i < 20; i++) rows += generator.Step();
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            Assert.Equal(20 * 8, rows);
            Assert.Equal(0, allocated);
        }
    }

    [Fact]
    public void TopPKeepsOnlyTheMostLikelyCharactersUpToTheMass()
    {
        float[] logits = [0f, 3f, 1f, 3f, -2f];
        var probabilities = new double[5];
        var order = new int[5];
        var random = new Random(3);
        // A tiny top_p keeps only the most likely character (ties to the lower id): always id 1.
        for (int i = 0; i < 50; i++)
            Assert.Equal(1, TokenChoice.Choose(logits, new SamplingSettings(1f, TopP: 0.01f), random, probabilities, order));
        // At temperature 1 the probabilities are 0.456, 0.456, 0.062, 0.023, 0.003 (ids 1, 3, 2, 0, 4):
        // top_p 0.9 keeps ids 1 and 3, top_p 0.95 adds id 2, never 0 or 4.
        Assert.Equal([1, 3], Drawn(0.9f));
        Assert.Equal([1, 2, 3], Drawn(0.95f));

        int[] Drawn(float topP)
        {
            var seen = new HashSet<int>();
            for (int i = 0; i < 2000; i++) seen.Add(TokenChoice.Choose(logits, new SamplingSettings(1f, TopP: topP), random, probabilities, order));
            return seen.Order().ToArray();
        }
    }

    [Theory]
    [InlineData(CellKind.Lstm, 2)]
    [InlineData(CellKind.RnnTanh, 1)]
    public void BatchScorerGivesEvaluatorsNumbersForEveryText(CellKind cell, int layers)
    {
        using var folder = new TempFolder();
        var (_, checkpoint) = CharLmFixtures.TrainTiny(folder, steps: 5, cell, layers);
        var (model, vocabulary) = CharLmFile.Load(checkpoint);
        using (model)
        {
            // Longer than a window (256) with shorter ones: the window's batch shrinks and carries its state.
            string[] texts = [CharLmFixtures.SmallText[..40], CharLmFixtures.SmallText[..600], "Th", CharLmFixtures.SmallText[100..400]];
            int[][] ids = texts.Select(t => vocabulary.Encode(t, "text")).ToArray();
            var results = new BatchScorer(model).Score(ids);
            for (int i = 0; i < texts.Length; i++)
            {
                double expected = Evaluator.Perplexity(model, ids[i]);
                Assert.Equal(ids[i].Length - 1, results[i].TokenCount);
                Assert.InRange(results[i].Perplexity, expected * (1 - 1e-5), expected * (1 + 1e-5));
            }
        }
    }

    private static int[] PromptIds(Vocabulary vocabulary, string prompt) =>
        prompt.Length == 0 ? [vocabulary.TryGetId(new System.Text.Rune('\n'), out int nl) ? nl : 0] : vocabulary.Encode(prompt, "prompt");
}
