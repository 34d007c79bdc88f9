using MklRnn.Seq2Seq;

namespace MklRnn.Tests.Seq2Seq;

/// <summary>
/// The single-step decoder API agrees with teacher forcing (the same model, the same tokens, the same loss),
/// keeps beams of one source independent, and the training path allocates nothing in steady state.
/// </summary>
public class StepDecoderTests
{
    [Theory]
    [InlineData("lstm_bi_2l_general")]
    [InlineData("gru_concat_nofeed")]
    [InlineData("rnn_dot")]
    [InlineData("lstm_localm_general_rev")]
    [InlineData("gru_bi_localp_concat")]
    public void SteppingTheTargetsGivesTheTeacherForcedLoss(string variant)
    {
        Seq2SeqConfig config = TinyTask.Config(variant);
        using var model = new Seq2SeqModel(config, seed: 3);
        var rng = new Random(8);
        var (sources, targets) = TinyTask.Pairs(rng, config, n: 4, maxSource: 6, maxTarget: 5);
        var batch = new Seq2SeqBatch();
        batch.Fill(config, sources, targets);
        var teacher = model.Evaluate(batch);

        // The same batch decoded step by step, each row fed its own reference tokens.
        IStepDecoder decoder = model.StartDecoding(batch.Source);
        int N = sources.Length, V = decoder.VocabularySize;
        var state = new float[N * decoder.StateSize];
        decoder.InitialState(state);
        var logits = new float[N * V];
        double total = 0;
        int counted = 0;
        for (int t = 0; t < batch.TargetSteps; t++)
        {
            decoder.Step(batch.DecoderInputs.Slice(t * N, N), state, logits, state);
            for (int n = 0; n < N; n++)
            {
                int target = batch.Targets[t * N + n];
                if (target < 0) continue;
                double max = logits.Skip(n * V).Take(V).Max();
                double logZ = max + Math.Log(logits.Skip(n * V).Take(V).Sum(z => Math.Exp(z - max)));
                total += logZ - logits[n * V + target];
                counted++;
            }
        }
        Assert.Equal(teacher.TokenCount, counted);
        Assert.Equal(teacher.Loss, total / counted, 4);
    }

    [Fact]
    public void RowsOfOneSourceStartEqualAndStayIndependent()
    {
        using var model = new Seq2SeqModel(TinyTask.Config("lstm_bi_general"), seed: 2);
        var batch = TokenBatch.From([[1, 2, 3], [4]], model.Config.SourceVocabularySize);
        IStepDecoder decoder = model.StartDecoding(batch, rowsPerSource: 3);
        Assert.Equal(6, decoder.Rows);
        int W = decoder.StateSize, V = decoder.VocabularySize;
        var state = new float[6 * W];
        decoder.InitialState(state);
        for (int r = 1; r < 3; r++) Assert.True(state.AsSpan(0, W).SequenceEqual(state.AsSpan(r * W, W)));
        Assert.False(state.AsSpan(0, W).SequenceEqual(state.AsSpan(3 * W, W)));
        var logits = new float[6 * V];
        decoder.Step([3, 0, 1, 3, 3, 3], state, logits, state);
        // Rows 3..5 (source 1) saw the same token: same logits; rows 0..2 saw different tokens: different logits.
        Assert.True(logits.AsSpan(3 * V, V).SequenceEqual(logits.AsSpan(5 * V, V)));
        Assert.False(logits.AsSpan(0, V).SequenceEqual(logits.AsSpan(V, V)));
        var e = Assert.Throws<ArgumentException>(() => decoder.Step([3, 0], state, logits, state));
        Assert.Equal("tokens", e.ParamName);
        // A newer decoding replaces the memory: the old step decoder refuses to run on it.
        model.StartDecoding(batch);
        var stale = Assert.Throws<InvalidOperationException>(() => decoder.Step([3, 0, 1, 3, 3, 3], state, logits, state));
        Assert.Contains("start the decoding again", stale.Message);
    }

    [Fact]
    public void SteppingSomeRowsGivesWhatSteppingAllRowsGivesThem()
    {
        using var model = new Seq2SeqModel(TinyTask.Config("gru_2l_concat"), seed: 6);
        var batch = TokenBatch.From([[1, 2, 3, 4, 5], [4], [0, 2]], model.Config.SourceVocabularySize);
        IStepDecoder decoder = model.StartDecoding(batch, rowsPerSource: 2);
        int W = decoder.StateSize, V = decoder.VocabularySize, R = decoder.Rows;
        var state = new float[R * W];
        decoder.InitialState(state);
        int[] tokens = [0, 1, 2, 0, 1, 2];
        var allLogits = new float[R * V];
        var allNext = new float[R * W];
        decoder.Step(tokens, state, allLogits, allNext);

        int[] rows = [1, 4, 5]; // rows of sources 0 and 2 only
        var subState = rows.SelectMany(r => state.Skip(r * W).Take(W)).ToArray();
        var subLogits = new float[rows.Length * V];
        var subNext = new float[rows.Length * W];
        decoder.Step(rows, rows.Select(r => tokens[r]).ToArray(), subState, subLogits, subNext);
        for (int i = 0; i < rows.Length; i++)
        {
            for (int v = 0; v < V; v++) Assert.Equal(allLogits[rows[i] * V + v], subLogits[i * V + v], 5);
            for (int j = 0; j < W; j++) Assert.Equal(allNext[rows[i] * W + j], subNext[i * W + j], 5);
        }
        var e = Assert.Throws<ArgumentException>(() => decoder.Step([4, 1], [0, 0], new float[2 * W], new float[2 * V], new float[2 * W]));
        Assert.Equal("rows", e.ParamName);
    }

    [Fact]
    public void TrainingAndDecodingStepsAllocateNothingInSteadyState()
    {
        Seq2SeqConfig config = TinyTask.Config("lstm_bi_2l_concat");
        using var model = new Seq2SeqModel(config, seed: 1);
        var rng = new Random(1);
        var (sources, targets) = TinyTask.Pairs(rng, config, n: 8, maxSource: 6, maxTarget: 5);
        targets[0] = [0, 1, 2, 0, 1];
        sources[0] = [1, 2, 3, 4, 5, 0];
        var batch = new Seq2SeqBatch();
        batch.Fill(config, sources, targets);
        for (int i = 0; i < 3; i++) model.ForwardBackward(batch);
        long training = Allocations.FewestOnThisThread(() =>
        {
            for (int i = 0; i < 3; i++)
            {
                batch.Fill(config, sources, targets);
                model.ForwardBackward(batch);
            }
        }, runs: 3);

        IStepDecoder decoder = model.StartDecoding(batch.Source, rowsPerSource: 2);
        var state = new float[decoder.Rows * decoder.StateSize];
        var logits = new float[decoder.Rows * decoder.VocabularySize];
        var tokens = new int[decoder.Rows];
        decoder.InitialState(state);
        decoder.Step(tokens, state, logits, state);
        int[] some = [1, 2, 5];
        int W = decoder.StateSize, V = decoder.VocabularySize;
        decoder.Step(some, tokens.AsSpan(0, 3), state.AsSpan(0, 3 * W), logits.AsSpan(0, 3 * V), state.AsSpan(0, 3 * W));
        long decoding = Allocations.FewestOnThisThread(() =>
        {
            for (int i = 0; i < 5; i++)
                decoder.Step(some, tokens.AsSpan(0, 3), state.AsSpan(0, 3 * W), logits.AsSpan(0, 3 * V), state.AsSpan(0, 3 * W));
            decoder.Step(tokens, state, logits, state); // the memory is re-gathered for all rows: no allocation either
        }, runs: 3);
        Assert.Equal(0, training);
        Assert.Equal(0, decoding);
    }
}
