using MklRnn.Layers;
using MklRnn.Seq2Seq;

namespace MklRnn.Tests.Layers;

/// <summary>
/// Issue 11 item 1: size products that would wrap (and size a buffer from the wrapped value) or ask for
/// absurd memory are a clear ArgumentException before anything is allocated. Each reproducer of the issue
/// crashed (SIGSEGV), allocated 12 GB or threw IndexOutOfRange before.
/// </summary>
public sealed class SizeOverflowTests
{
    [Fact]
    public void BeginStepsTraining_WhoseTapeRowsWrapInt_IsRefusedBeforeAnyAllocation()
    {
        using var stack = new RecurrentStack(new RnnConfig(CellKind.RnnTanh, 4, 4));
        var e = Assert.Throws<ArgumentException>(() => stack.BeginSteps(46341, 46341, training: true));
        Assert.Equal("maxSteps", e.ParamName);
        Assert.Contains("maxSteps * batchSize", e.Message);
        // Step after the refused BeginSteps is a usage error, never a write past a buffer.
        Assert.Throws<InvalidOperationException>(() => stack.Step(new float[46341 * 4], new float[46341 * 4]));
    }

    [Fact]
    public void BeginStepsTraining_WhoseBuffersExceedTheLimit_IsRefused()
    {
        using var stack = new RecurrentStack(new RnnConfig(CellKind.Lstm, 4, 4));
        // 20000 * 20000 rows fit an int, but 16 gate floats per row do not fit one buffer.
        Assert.Equal("maxSteps", Assert.Throws<ArgumentException>(() => stack.BeginSteps(20000, 20000, training: true)).ParamName);
    }

    [Fact]
    public void Forward_WithAShapeWhoseProductWrapsLong_IsRefused()
    {
        using var stack = new RecurrentStack(new RnnConfig(CellKind.RnnTanh, 4, 4));
        var e = Assert.Throws<ArgumentException>(() => stack.Forward([], 1 << 30, 1 << 30, []));
        Assert.Equal("seqLength", e.ParamName);
        // A product that does wrap long: (2^30 * 2^30 * 16) checked, not 0.
        using var wide = new RecurrentStack(new RnnConfig(CellKind.RnnTanh, 16, 4));
        Assert.Throws<ArgumentException>(() => wide.Forward([], 1 << 30, 1 << 30, []));
    }

    [Theory]
    [InlineData(CellKind.Lstm, 1, 2_000_000_000)]
    [InlineData(CellKind.Gru, 1, 1 << 29)]
    [InlineData(CellKind.RnnTanh, 1 << 20, 1 << 15)]
    public void Config_WhoseWeightsCannotFitOneBuffer_IsRefusedByName(CellKind cell, int input, int hidden)
    {
        var e = Assert.ThrowsAny<ArgumentException>(() => new RecurrentStack(new RnnConfig(cell, input, hidden)));
        Assert.True(e.ParamName is "HiddenSize" or "InputSize", e.ParamName);
        Assert.Contains("2^30", e.Message);
    }

    [Theory]
    [InlineData(3)]
    [InlineData(200)] // past the first history block of 64 steps: the history grows
    public void BeamSearch_WithMaxLength2Pow30_SizesItsHistoryByTheStepsTaken(int steps)
    {
        var decoder = new EndsAfter(steps, rows: 4);
        IReadOnlyList<Hypothesis>[] best = BeamSearch.Decode(decoder, beamWidth: 4, maxLength: 1 << 30);
        Assert.True(best[0][0].Ended);
        Assert.Equal(Enumerable.Repeat(1, steps - 1), best[0][0].Tokens);
    }

    /// <summary>A decoder over 3 tokens (start 0, end 2) that prefers token 1 for <c>steps - 1</c> steps, then the end token.</summary>
    private sealed class EndsAfter(int steps, int rows) : IStepDecoder
    {
        public int Rows => rows;
        public int RowsPerSource => rows;
        public int VocabularySize => 3;
        public int StateSize => 1;
        public int StartToken => 0;
        public int EndToken => 2;

        public void InitialState(Span<float> state) => state.Clear();

        public void Step(ReadOnlySpan<int> tokens, ReadOnlySpan<float> state, Span<float> logits, Span<float> nextState)
        {
            for (int r = 0; r < tokens.Length; r++)
            {
                float t = state[r] + 1; // the step count is the state
                logits[r * 3] = -9;
                logits[r * 3 + 1] = t < steps ? 0 : -9;
                logits[r * 3 + 2] = t < steps ? -9 : 0;
                nextState[r] = t;
            }
        }

        public void Step(ReadOnlySpan<int> rowIds, ReadOnlySpan<int> tokens, ReadOnlySpan<float> state, Span<float> logits, Span<float> nextState) =>
            Step(tokens, state, logits, nextState);
    }
}
