using System.Diagnostics;
using MklRnn.CharLm;

namespace MklRnn.Cli.Loadtest;

/// <summary>
/// The same generation workload as <see cref="HttpLoad"/> (C concurrent streams, R requests, seeds 0..R-1), run
/// in-process through the library's <see cref="BatchedGenerator"/> (the loop the server's scheduler runs), without
/// HTTP: the engine's own ceiling. A stream's latency runs from when its predecessor finished to its own end.
/// A warm-up round of the same workload runs first, off the clock, then a wait until the JIT is quiet
/// (<see cref="JitQuiet"/>): the server is measured warm, and so is the loop it is compared with.
/// </summary>
internal static class OfflineLoad
{
    public static LoadResult Run(CharLmModel model, Vocabulary vocabulary, int concurrency, int requests, int warmUp, int maxTokens,
        string prompt, float temperature, TimeSpan bound)
    {
        int[] promptIds = prompt.Length == 0
            ? [vocabulary.TryGetId(new System.Text.Rune('\n'), out int newline) ? newline : 0] // as the server and `sample` do
            : vocabulary.Encode(prompt, "--prompt");
        var generator = new BatchedGenerator(model, vocabulary, concurrency);
        if (warmUp > 0)
        {
            WarmUp(generator, promptIds, warmUp, maxTokens, temperature);
            JitQuiet.WaitAsync(() => Task.FromResult(0.0)).GetAwaiter().GetResult();
        }
        var running = new List<(GenerationStream Stream, long Start)>(concurrency);
        var joining = new List<GenerationStream>(concurrency);
        var latencies = new List<double>(requests);
        long tokens = 0, steps = 0, stepTicks = 0;
        int sent = 0;
        var clock = Stopwatch.StartNew();
        while ((sent < requests || running.Count > 0) && clock.Elapsed < bound)
        {
            joining.Clear();
            while (sent < requests && running.Count < concurrency)
            {
                var stream = new GenerationStream(promptIds, maxTokens, new SamplingSettings(temperature, Seed: sent++));
                joining.Add(stream);
                running.Add((stream, Stopwatch.GetTimestamp()));
            }
            if (joining.Count > 0) generator.Admit(joining);
            long stepStart = Stopwatch.GetTimestamp();
            int stepped = generator.Step();
            stepTicks += Stopwatch.GetTimestamp() - stepStart;
            tokens += stepped;
            if (stepped > 0) steps++;
            for (int i = running.Count - 1; i >= 0; i--)
            {
                if (!running[i].Stream.IsFinished) continue;
                latencies.Add(Stopwatch.GetElapsedTime(running[i].Start).TotalMilliseconds);
                running.RemoveAt(i);
            }
        }
        var engine = new EngineSteps(steps, tokens, (double)stepTicks / Stopwatch.Frequency);
        return new LoadResult(concurrency, latencies, tokens, errors: running.Count, clock.Elapsed.TotalSeconds, engine);
    }

    /// <summary>`count` streams as long as the run's (seeds -1, -2, ...), in rounds as wide as the generator.</summary>
    private static void WarmUp(BatchedGenerator generator, int[] promptIds, int count, int maxTokens, float temperature)
    {
        for (int done = 0; done < count;)
        {
            int n = Math.Min(generator.Capacity, count - done);
            generator.Admit(Enumerable.Range(done, n)
                .Select(i => new GenerationStream(promptIds, maxTokens, new SamplingSettings(temperature, Seed: -1 - i))).ToList());
            while (generator.Step() > 0) { }
            done += n;
        }
    }
}
