using MklRnn.CharLm;

namespace MklRnn.Tests.CharLm;

/// <summary>The model's per-chunk paths allocate no managed memory once warmed up.</summary>
public class CharLmModelAllocationTests
{
    [Fact]
    public void TrainAndEvaluateChunksAllocateNothingInSteadyState()
    {
        const int V = 9, N = 4, T = 8;
        using var model = new CharLmModel(new CharLmSpec(CellKind.Lstm, V, 6, 10, 2, Dropout: 0.1f), seed: 2);
        model.Rnn.UseSideThread = false;
        int[] inputs = Enumerable.Range(0, N * T).Select(i => i % V).ToArray();
        int[] targets = Enumerable.Range(0, N * T).Select(i => (i * 5 + 1) % V).ToArray();
        model.ResetState(N, T);
        for (int i = 0; i < 3; i++)
        {
            model.TrainChunk(inputs, targets, T);
            model.EvaluateChunk(inputs, targets, T);
        }
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 5; i++)
        {
            model.TrainChunk(inputs, targets, T);
            model.EvaluateChunk(inputs, targets, T);
        }
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
