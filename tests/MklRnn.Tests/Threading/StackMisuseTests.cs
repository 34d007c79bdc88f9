using MklRnn.Layers;
using MklRnn.Threading;

namespace MklRnn.Tests.Threading;

/// <summary>
/// One RecurrentStack serves one call at a time: a second thread gets a clear InvalidOperationException
/// (never wrong numbers or a crash), Dispose during a call takes effect at its end, and no exception
/// crosses the native OpenMP team callback.
/// </summary>
public class StackMisuseTests
{
    private const int T = 200, N = 16, I = 8, H = 32;

    private static (RecurrentStack Stack, float[] Input, float[] Expected) Setup(CellKind cell, bool bidirectional)
    {
        var stack = new RecurrentStack(new RnnConfig(cell, I, H, numLayers: 2, bidirectional: bidirectional), seed: 3);
        float[] x = TestValues.Rand(new Random(4), T * N * I);
        float[] expected = new float[T * N * stack.Config.OutputSize];
        stack.Forward(x, T, N, expected);
        return (stack, x, expected);
    }

    [Theory]
    [InlineData(CellKind.Lstm, false)]
    [InlineData(CellKind.Gru, true)]
    public void ConcurrentCallsOnOneStackThrowAClearErrorAndNeverComputeWrongValues(CellKind cell, bool bidirectional)
    {
        var (stack, x, expected) = Setup(cell, bidirectional);
        using var _ = stack;
        // Three root threads each starting an OpenMP team would leave libomp with extra idle workers, and a
        // worker new to .NET allocates its Thread object on first entry (seen by the allocation tests).
        stack.UseSideThread = false;
        int rejected = 0, completed = 0;
        var unexpected = new List<Exception>();
        var stop = DateTime.UtcNow.AddSeconds(5); // bound; the threads overlap within a few calls
        void Hammer()
        {
            float[] y = new float[expected.Length];
            while (DateTime.UtcNow < stop && Volatile.Read(ref rejected) < 5)
            {
                try
                {
                    stack.Forward(x, T, N, y);
                    Assert.Equal(expected, y); // a call that ran, ran alone: bit-identical
                    Interlocked.Increment(ref completed);
                }
                catch (InvalidOperationException e) when (e.Message.Contains("another call is running"))
                {
                    Interlocked.Increment(ref rejected);
                }
                catch (Exception e)
                {
                    lock (unexpected) unexpected.Add(e);
                    return;
                }
            }
        }
        Thread[] threads = [new Thread(Hammer), new Thread(Hammer), new Thread(Hammer)];
        foreach (Thread t in threads) t.Start();
        foreach (Thread t in threads) t.Join();
        Assert.Empty(unexpected);
        Assert.True(rejected > 0, $"no concurrent call was detected ({completed} calls completed)");
        Assert.True(completed > 0);
    }

    [Fact]
    public void DisposeDuringACallTakesEffectAtItsEnd()
    {
        var (stack, x, expected) = Setup(CellKind.Gru, bidirectional: true);
        float[] y = new float[expected.Length];
        Exception? error = null;
        var worker = new Thread(() =>
        {
            try
            {
                for (int i = 0; i < 3; i++) stack.Forward(x, T, N, y);
            }
            catch (Exception e)
            {
                error = e;
            }
        });
        worker.Start();
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (!stack.InCall && worker.IsAlive && DateTime.UtcNow < deadline) Thread.SpinWait(20);
        stack.Dispose(); // the running call completes; the next one sees a disposed stack
        worker.Join();
        if (error is not null) Assert.IsType<ObjectDisposedException>(error);
        else Assert.Equal(expected, y); // the dispose came after the last call
        Assert.Throws<ObjectDisposedException>(() => stack.Forward(x, T, N, y));
        Assert.Throws<ObjectDisposedException>(() => stack.CopyState(new float[1]));
        stack.Dispose(); // twice is fine
    }

    [Fact]
    public void AnExceptionInATeamJobIsRethrownOnTheCaller()
    {
        using var pair = new ThreadPair("test pair");
        var e = Assert.Throws<InvalidOperationException>(() =>
            pair.Run((thread, threads) => { if (thread == threads - 1) throw new InvalidOperationException("job failed"); }));
        Assert.Equal("job failed", e.Message);
        int ran = 0;
        pair.Run((_, threads) => Interlocked.Add(ref ran, 1)); // still usable
        Assert.True(ran >= 1);
    }

    [Fact]
    public void DisposingThePairFromInsideItsJobIsDeferredToTheEndOfTheRun()
    {
        var pair = new ThreadPair("test pair");
        int ran = 0;
        pair.Run((thread, _) =>
        {
            if (thread == 0) pair.Dispose();
            Thread.Sleep(5); // the other thread still reads the pair through its handle
            Interlocked.Increment(ref ran);
        });
        Assert.True(ran >= 1);
        Assert.Throws<ObjectDisposedException>(() => pair.Run((_, _) => { }));
    }
}
