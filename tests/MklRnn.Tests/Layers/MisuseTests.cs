using MklRnn.IO;
using MklRnn.Layers;
using MklRnn.Memory;

namespace MklRnn.Tests.Layers;

/// <summary>Issue 11 items 9 and 10: aliasing outputs, use after Dispose, undisposed stacks, stale temp files.</summary>
public sealed class MisuseTests
{
    [Fact]
    public void Forward_WithOutputAliasingInput_Throws_AndStateCarryIsAllowed()
    {
        // The case: a GRU with I = D*H, N = 3, output the same array as input (216 of 240 values were wrong).
        var config = new RnnConfig(CellKind.Gru, 8, 4, 1, bidirectional: true);
        using var stack = new RecurrentStack(config, seed: 3);
        const int T = 10, N = 3;
        float[] x = Enumerable.Range(0, T * N * 8).Select(k => MathF.Sin(k)).ToArray();
        Assert.Equal("output", Assert.Throws<ArgumentException>(() => stack.Forward(x, T, N, x)).ParamName);
        Assert.Equal("output", Assert.Throws<ArgumentException>(() => stack.Forward(x.AsSpan(0, T * N * 8), T, N, x.AsSpan())).ParamName);
        float[] y = new float[x.Length];
        Assert.Equal("hN", Assert.Throws<ArgumentException>(() => stack.Forward(x, T, N, y, hN: y.AsSpan(0, 2 * N * 4))).ParamName);
        Assert.Equal("hN", Assert.Throws<ArgumentException>(() => stack.Forward(x, T, N, y, hN: x.AsSpan(8, 2 * N * 4))).ParamName);

        // hN may be h0 itself: the same values as with separate buffers.
        float[] h0 = Enumerable.Range(0, 2 * N * 4).Select(k => 0.1f * MathF.Cos(k)).ToArray();
        float[] separate = new float[h0.Length], yRef = new float[y.Length];
        stack.Forward(x, T, N, yRef, h0: h0, hN: separate);
        float[] carried = (float[])h0.Clone();
        stack.Forward(x, T, N, y, h0: carried, hN: carried);
        Assert.Equal(separate, carried);
        Assert.Equal(yRef, y);
    }

    [Fact]
    public void EveryCallAfterDispose_IsObjectDisposed()
    {
        var stack = new RecurrentStack(new RnnConfig(CellKind.Lstm, 2, 3));
        stack.BeginSteps(1, 1);
        stack.Dispose();
        stack.Dispose(); // idempotent
        Assert.Throws<ObjectDisposedException>(() => stack.CopyState(new float[3]));
        Assert.Throws<ObjectDisposedException>(() => stack.Forward(new float[2], 1, 1, new float[3]));
        Assert.Throws<ObjectDisposedException>(() => stack.BeginSteps(1, 1));
        Assert.Throws<ObjectDisposedException>(() => stack.Step(new float[2], new float[3]));
        Assert.Throws<ObjectDisposedException>(() => stack.ZeroGrad());
        Assert.Throws<ObjectDisposedException>(() => stack.ResetParameters(1));
        Assert.Throws<ObjectDisposedException>(() => stack.Save("unused.safetensors"));
        Assert.Throws<ObjectDisposedException>(() => stack.LoadWeights("unused.safetensors"));
    }

    [Fact]
    public void UndisposedStacks_AreReclaimedByTheGc_ThroughMemoryPressure()
    {
        // 1,500 stacks of 1 MiB each (weights + gradients) never disposed: 1.5 GiB if nothing reclaimed them.
        // With the native bytes reported to the GC, collections come while they pile up.
        var config = new RnnConfig(CellKind.Lstm, 128, 128);
        long peak = 0;
        for (int i = 0; i < 1500; i++)
        {
            _ = new RecurrentStack(config);
            peak = Math.Max(peak, NativeBuffer.LiveBytes);
        }
        Assert.True(peak < 1L << 30, $"peak native memory {peak >> 20} MiB");
    }

    [Fact]
    public void AtomicSave_RemovesStaleTempFilesOfItsTarget_Only()
    {
        using var temp = new TempFolder();
        string target = temp["model.safetensors"];
        string stale = target + ".tmp-0123456789ab", fresh = target + ".tmp-ba9876543210";
        string otherTarget = temp["other.safetensors.tmp-0123456789ab"], notOurs = target + ".tmp-keep";
        foreach (string f in new[] { stale, fresh, otherTarget, notOurs }) File.WriteAllText(f, "partial");
        foreach (string f in new[] { stale, otherTarget, notOurs }) File.SetLastWriteTimeUtc(f, DateTime.UtcNow.AddHours(-1));

        AtomicFile.Write(target, s => s.WriteByte(1));
        Assert.False(File.Exists(stale));
        Assert.True(File.Exists(fresh), "a young temp may be a concurrent writer's");
        Assert.True(File.Exists(otherTarget) && File.Exists(notOurs));
        Assert.Equal([1], File.ReadAllBytes(target));
    }
}
