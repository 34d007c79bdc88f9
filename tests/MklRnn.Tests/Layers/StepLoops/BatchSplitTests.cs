using MklRnn.Layers.StepLoops;
using MklRnn.Threading;
using MklRnn.Interop;
using MklRnn.Layers;

namespace MklRnn.Tests.Layers.StepLoops;

/// <summary>
/// The batch-split step loop (each of two threads runs every step of half the rows) computes what the
/// general one-thread loop computes: outputs, final states, and in training every gradient.
/// </summary>
public class BatchSplitTests
{
    private const int T = 7, Input = 5;

    public static TheoryData<string, bool, bool> Configs() => new()
    {
        { "lstm", false, false },
        { "lstm", true, false },
        { "lstm", true, true },
        { "lstm_proj", true, false },
        { "lstm_peephole", true, false },
        { "gru", false, false },
        { "gru", true, true },
        { "gru_original", true, false },
        { "rnn_tanh", true, false },
        { "rnn_relu", false, true },
        { "lstm_bidirectional", true, false },
    };

    private static RnnConfig Make(string name, bool batchFirst) => name switch
    {
        "lstm" => new RnnConfig(CellKind.Lstm, Input, 12, numLayers: 2) { BatchFirst = batchFirst },
        "lstm_proj" => new RnnConfig(CellKind.Lstm, Input, 12, numLayers: 2) { ProjSize = 7, BatchFirst = batchFirst },
        "lstm_peephole" => new RnnConfig(CellKind.Lstm, Input, 12) { Peephole = true, BatchFirst = batchFirst },
        "gru" => new RnnConfig(CellKind.Gru, Input, 12, numLayers: 2) { BatchFirst = batchFirst },
        "gru_original" => new RnnConfig(CellKind.Gru, Input, 12) { LinearBeforeReset = false, BatchFirst = batchFirst },
        "rnn_tanh" => new RnnConfig(CellKind.RnnTanh, Input, 12) { BatchFirst = batchFirst },
        "rnn_relu" => new RnnConfig(CellKind.RnnRelu, Input, 12) { BatchFirst = batchFirst },
        "lstm_bidirectional" => new RnnConfig(CellKind.Lstm, Input, 12, numLayers: 2, bidirectional: true) { BatchFirst = batchFirst },
        _ => throw new ArgumentException(name),
    };

    [Theory]
    [MemberData(nameof(Configs))]
    public void ForwardMatchesTheGeneralPath(string name, bool withLengths, bool batchFirst)
    {
        RnnConfig config = Make(name, batchFirst);
        foreach (int N in new[] { 8, 11 }) // even and odd halves
        {
            using var run = new Run(config, N, withLengths);
            for (int repeat = 0; repeat < 2; repeat++) // the second run reuses buffers and packed weights
            {
                run.Forward(training: false);
                run.AssertForwardEqual();
            }
        }
    }

    [Theory]
    [MemberData(nameof(Configs))]
    public void TrainingForwardAndBackwardMatchTheGeneralPath(string name, bool withLengths, bool batchFirst)
    {
        RnnConfig config = Make(name, batchFirst);
        using var run = new Run(config, 10, withLengths);
        for (int repeat = 0; repeat < 2; repeat++)
        {
            run.Forward(training: true);
            run.AssertForwardEqual();
            run.Backward();
            run.AssertGradientsEqual();
        }
    }

    [Fact]
    public void SteadyStateCallsAllocateNoManagedMemoryOnAnyThread()
    {
        var config = new RnnConfig(CellKind.Lstm, Input, 16);
        const int N = 12;
        using var stack = new RecurrentStack(config, seed: 1) { UseSideThread = true };
        var rng = new Random(3);
        float[] x = TestValues.Rand(rng, T * N * Input), y = new float[T * N * 16], gx = new float[x.Length];
        int[] lengths = Enumerable.Range(0, N).Select(b => 1 + b % T).ToArray();
        void Calls()
        {
            stack.Forward(x, T, N, y);
            stack.Forward(x, T, N, y, lengths: lengths);
            stack.Forward(x, T, N, y, lengths: lengths, training: true);
            stack.Backward(y, gx);
        }
        using (MklLocalThreads.Set(2))
        {
            AssertSteadyStateAllocatesNothing(Calls);
            Assert.Equal(StepLoopKind.BatchSplit, stack.LastBackwardLoop); // the path this test is about ran
        }
    }

    /// <summary>
    /// The directions of a bidirectional layer run on the thread pair: MKL's team while MKL has two
    /// threads, the side thread when the caller limits MKL to one. Both match the one-thread loop.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void BidirectionalMatchesTheGeneralPathOnTheTeamAndOnTheSideThread(bool mklOnOneThread)
    {
        using MklLocalThreads mkl = mklOnOneThread ? MklLocalThreads.Set(1) : default;
        Assert.Equal(!mklOnOneThread && Mkl.GetMaxThreads() >= 2, ThreadPair.UsesTeam);
        using var run = new Run(Make("lstm_bidirectional", batchFirst: true), 9, withLengths: true);
        for (int repeat = 0; repeat < 2; repeat++)
        {
            run.Forward(training: true);
            run.AssertForwardEqual();
            run.Backward();
            run.AssertGradientsEqual();
        }
    }

    [Fact]
    public void SteadyStateBidirectionalCallsAllocateNoManagedMemoryOnAnyThread()
    {
        var config = new RnnConfig(CellKind.Gru, Input, 16, numLayers: 2, bidirectional: true);
        const int N = 6;
        using var stack = new RecurrentStack(config, seed: 1) { UseSideThread = true };
        var rng = new Random(5);
        float[] x = TestValues.Rand(rng, T * N * Input), y = new float[T * N * 32], gx = new float[x.Length];
        int[] lengths = Enumerable.Range(0, N).Select(b => 1 + b % T).ToArray();
        void Calls()
        {
            stack.Forward(x, T, N, y);
            stack.Forward(x, T, N, y, lengths: lengths, training: true);
            stack.Backward(y, gx);
        }
        AssertSteadyStateAllocatesNothing(Calls);
    }

    /// <summary>
    /// Two warm-up rounds, then three measured: no managed bytes on any thread (the pair's second thread counts
    /// too, so the count is process-wide: up to ten measurements, see <see cref="Allocations"/>).
    /// </summary>
    private static void AssertSteadyStateAllocatesNothing(Action calls)
    {
        calls();
        calls();
        Assert.Equal(0, Allocations.FewestInProcess(() =>
        {
            for (int i = 0; i < 3; i++) calls();
        }, runs: 10));
    }

    /// <summary>The same call on two stacks with the same parameters: one with the side thread (batch split), one without.</summary>
    private sealed class Run : IDisposable
    {
        private readonly RecurrentStack _split, _general;
        private readonly int _n;
        private readonly float[] _x, _h0, _c0, _dy, _dhN, _dcN;
        private readonly int[] _lengths;
        private readonly MklLocalThreads _mklThreads;
        private readonly (float[] y, float[] hN, float[] cN, float[] dx, float[] dh0, float[] dc0) _a, _b;

        public Run(RnnConfig config, int n, bool withLengths)
        {
            _n = n;
            // The batch split runs on MKL's team: two MKL threads on this test's thread, whatever an
            // earlier test left as the process-wide setting.
            _mklThreads = MklLocalThreads.Set(2);
            _split = new RecurrentStack(config, seed: 4) { UseSideThread = true };
            _general = new RecurrentStack(config, seed: 4) { UseSideThread = false };
            var rng = new Random(n);
            int S = config.NumLayers * config.Directions;
            bool lstm = config.Cell == CellKind.Lstm;
            _x = TestValues.Rand(rng, T * n * Input);
            _h0 = TestValues.Rand(rng, S * n * config.OutputHiddenSize);
            _c0 = lstm ? TestValues.Rand(rng, S * n * config.HiddenSize) : [];
            _dy = TestValues.Rand(rng, T * n * config.OutputSize);
            _dhN = TestValues.Rand(rng, _h0.Length);
            _dcN = TestValues.Rand(rng, _c0.Length);
            // Lengths in every order, including full-length and length-1 sequences.
            _lengths = withLengths ? Enumerable.Range(0, n).Select(b => 1 + (b * 5 + 2) % T).ToArray() : [];
            _a = Buffers(config, lstm);
            _b = Buffers(config, lstm);
        }

        private (float[], float[], float[], float[], float[], float[]) Buffers(RnnConfig config, bool lstm) =>
            (new float[T * _n * config.OutputSize], new float[_h0.Length], new float[_c0.Length],
             new float[_x.Length], new float[_h0.Length], lstm ? new float[_c0.Length] : []);

        public void Forward(bool training)
        {
            _split.Forward(_x, T, _n, _a.y, _h0, _c0, _a.hN, _a.cN, _lengths, training);
            _general.Forward(_x, T, _n, _b.y, _h0, _c0, _b.hN, _b.cN, _lengths, training);
            Assert.Equal(ExpectedSplitLoop(training), _split.LastForwardLoop);
            Assert.Equal(StepLoopKind.Serial, _general.LastForwardLoop);
        }

        public void Backward()
        {
            _split.ZeroGrad();
            _general.ZeroGrad();
            _split.Backward(_dy, _a.dx, _dhN, _dcN, _a.dh0, _a.dc0);
            _general.Backward(_dy, _b.dx, _dhN, _dcN, _b.dh0, _b.dc0);
            Assert.Equal(ExpectedSplitLoop(training: true), _split.LastBackwardLoop);
            Assert.Equal(StepLoopKind.Serial, _general.LastBackwardLoop);
        }

        /// <summary>
        /// The loop the side-thread stack must have run: the batch split for unidirectional layers (not
        /// for LSTM training with peepholes); bidirectional layers run each direction serially, on the pair.
        /// With MKL on one thread the split would silently not run, so that fails here instead.
        /// </summary>
        private StepLoopKind ExpectedSplitLoop(bool training)
        {
            RnnConfig config = _split.Config;
            if (config.Directions == 2 || (training && config.Peephole)) return StepLoopKind.Serial;
            Assert.True(ThreadPair.UsesTeam, "the batch split needs MKL on two or more threads");
            return StepLoopKind.BatchSplit;
        }

        public void AssertForwardEqual()
        {
            AssertClose(_b.y, _a.y, "output");
            AssertClose(_b.hN, _a.hN, "hN");
            AssertClose(_b.cN, _a.cN, "cN");
        }

        public void AssertGradientsEqual()
        {
            AssertClose(_b.dx, _a.dx, "gradInput");
            AssertClose(_b.dh0, _a.dh0, "gradH0");
            AssertClose(_b.dc0, _a.dc0, "gradC0");
            for (int i = 0; i < _general.Parameters.Count; i++)
            {
                float[] expected = _general.Parameters[i].Grad.ToArray();
                Assert.Contains(expected, v => v != 0); // the gradient is really there
                AssertClose(expected, _split.Parameters[i].Grad.ToArray(), _general.Parameters[i].Name);
            }
        }

        public void Dispose()
        {
            _split.Dispose();
            _general.Dispose();
            _mklThreads.Dispose();
        }

        private static void AssertClose(float[] expected, float[] actual, string what)
        {
            Assert.Equal(expected.Length, actual.Length);
            for (int i = 0; i < expected.Length; i++)
                Assert.True(MathF.Abs(expected[i] - actual[i]) <= 2e-5f * (1 + MathF.Abs(expected[i])),
                    $"{what}[{i}]: expected {expected[i]}, got {actual[i]}");
        }
    }
}
