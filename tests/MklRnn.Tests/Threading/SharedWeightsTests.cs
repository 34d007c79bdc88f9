using MklRnn.Layers;

namespace MklRnn.Tests.Threading;

/// <summary>
/// One model's weights (RecurrentWeights, packed once) run from many threads at once, one session
/// (RecurrentWeights.CreateSession) per thread: every result bit-identical to the same calls made one
/// after another on one thread.
/// </summary>
public class SharedWeightsTests
{
    private const int Threads = 4, CallsPerThread = 50, I = 6, H = 24;

    public static TheoryData<string> Configs() => new() { "lstm", "gru_bidirectional", "rnn_tanh_small_batch" };

    private static (RnnConfig Config, int T, int N) Make(string name) => name switch
    {
        "lstm" => (new RnnConfig(CellKind.Lstm, I, H, numLayers: 2), 12, 9),
        "gru_bidirectional" => (new RnnConfig(CellKind.Gru, I, H, numLayers: 2, bidirectional: true), 10, 5),
        "rnn_tanh_small_batch" => (new RnnConfig(CellKind.RnnTanh, I, H), 16, 2), // the column split
        _ => throw new ArgumentException(name),
    };

    [Theory]
    [MemberData(nameof(Configs))]
    public void ManyThreadsOnSharedWeightsAreBitIdenticalToSerial(string name)
    {
        var (config, T, N) = Make(name);
        using var weights = new RecurrentWeights(config, seed: 7);
        var rng = new Random(11);
        // Each call its own input (and, for half of them, lengths), so a mixed-up buffer would show.
        float[][] inputs = Enumerable.Range(0, CallsPerThread).Select(_ => TestValues.Rand(rng, T * N * I)).ToArray();
        int[][] lengths = Enumerable.Range(0, CallsPerThread)
            .Select(c => c % 2 == 0 ? [] : Enumerable.Range(0, N).Select(b => 1 + (b * 7 + c) % T).ToArray()).ToArray();
        int outputLength = T * N * config.OutputSize;
        int stateLength = config.NumLayers * config.Directions * N * config.OutputHiddenSize;

        var expected = new (float[] Y, float[] HN)[CallsPerThread];
        using (RecurrentStack serial = weights.CreateSession())
            for (int c = 0; c < CallsPerThread; c++)
            {
                expected[c] = (new float[outputLength], new float[stateLength]);
                serial.Forward(inputs[c], T, N, expected[c].Y, hN: expected[c].HN, lengths: lengths[c]);
            }

        Assert.Empty(OnThreads(Threads, (thread, fail) =>
        {
            using RecurrentStack session = weights.CreateSession();
            float[] y = new float[outputLength], hN = new float[stateLength];
            for (int k = 0; k < CallsPerThread; k++)
            {
                int c = (k + thread * 13) % CallsPerThread; // threads run different calls at the same time
                session.Forward(inputs[c], T, N, y, hN: hN, lengths: lengths[c]);
                if (!y.AsSpan().SequenceEqual(expected[c].Y) || !hN.AsSpan().SequenceEqual(expected[c].HN))
                    fail($"thread {thread}, call {c}: differs from the serial run");
            }
        }));
    }

    /// <summary>
    /// Threads with different batch sizes: a session needing more rows than the packed weights were made
    /// for replaces the packed set while other sessions still run on the old one.
    /// </summary>
    [Fact]
    public void SessionsWithGrowingBatchesOnSharedWeightsAreBitIdenticalToSerial()
    {
        var config = new RnnConfig(CellKind.Gru, I, H, numLayers: 2);
        using var weights = new RecurrentWeights(config, seed: 5);
        const int T = 6, Calls = 20;
        int[] batches = [1, 7, 19, 40];
        var rng = new Random(8);
        float[][] inputs = batches.Select(n => TestValues.Rand(rng, T * n * I)).ToArray();
        float[][] expected = new float[batches.Length][];
        for (int b = 0; b < batches.Length; b++)
        {
            using var owner = new RecurrentStack(config); // fresh weights packed for this batch only
            for (int i = 0; i < weights.Parameters.Count; i++) weights.Parameters[i].Values.CopyTo(owner.Parameters[i].Data);
            expected[b] = new float[T * batches[b] * H];
            owner.Forward(inputs[b], T, batches[b], expected[b]);
        }

        Assert.Empty(OnThreads(batches.Length, (b, fail) =>
        {
            using RecurrentStack session = weights.CreateSession();
            float[] y = new float[expected[b].Length];
            for (int k = 0; k < Calls; k++)
            {
                session.Forward(inputs[b], T, batches[b], y);
                if (!y.AsSpan().SequenceEqual(expected[b])) fail($"batch {batches[b]}, call {k}: differs");
            }
        }));
    }

    /// <summary>Runs body(thread, fail) on count threads at once; returns what they reported (and their exceptions).</summary>
    private static List<string> OnThreads(int count, Action<int, Action<string>> body)
    {
        var failures = new List<string>();
        void Fail(string message)
        {
            lock (failures) failures.Add(message);
        }
        var threads = Enumerable.Range(0, count).Select(thread => new Thread(() =>
        {
            try
            {
                body(thread, Fail);
            }
            catch (Exception e)
            {
                Fail($"thread {thread}: {e}");
            }
        })).ToArray();
        foreach (Thread t in threads) t.Start();
        foreach (Thread t in threads) t.Join();
        return failures;
    }

    [Fact]
    public void SteppedDecodingOnSharedWeightsMatchesTheOwningStack()
    {
        var config = new RnnConfig(CellKind.Lstm, I, H, numLayers: 2);
        using var stack = new RecurrentStack(config, seed: 3);
        using RecurrentStack session = stack.Weights.CreateSession();
        const int N = 3, Steps = 5;
        float[] x = TestValues.Rand(new Random(2), N * I);
        float[] a = new float[N * H], b = new float[N * H];
        stack.BeginSteps(N, Steps);
        session.BeginSteps(N, Steps);
        for (int k = 0; k < Steps; k++)
        {
            stack.Step(x, a);
            session.Step(x, b);
            Assert.Equal(a, b);
        }
    }

    [Fact]
    public void ASessionRefusesTrainingAndLeavesTheWeightsToTheirOwner()
    {
        var config = new RnnConfig(CellKind.Gru, I, H);
        var weights = new RecurrentWeights(config, seed: 1);
        float[] x = new float[2 * 3 * I], y = new float[2 * 3 * H];
        using (RecurrentStack session = weights.CreateSession())
        {
            var e = Assert.Throws<InvalidOperationException>(() => session.Forward(x, 2, 3, y, training: true));
            Assert.Contains("inference only", e.Message);
            Assert.Throws<InvalidOperationException>(() => session.BeginSteps(3, 2, training: true));
            session.Forward(x, 2, 3, y); // inference is fine
        }
        // Disposing a session does not free the shared weights: a new session still runs them.
        using (RecurrentStack again = weights.CreateSession()) again.Forward(x, 2, 3, y);
        Assert.Same(weights.Parameters[0], weights["weight_ih_l0"]);
        weights.Dispose();
    }
}
