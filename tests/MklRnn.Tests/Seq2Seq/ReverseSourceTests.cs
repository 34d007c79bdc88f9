using MklRnn.Seq2Seq;

namespace MklRnn.Tests.Seq2Seq;

/// <summary>--reverse-source: the encoder reads each source's valid tokens last to first, padding stays at the end.</summary>
public class ReverseSourceTests
{
    [Fact]
    public void TheEncoderReadsValidTokensReversedAndPaddingStaysAtTheEnd()
    {
        Seq2SeqConfig plain = TinyTask.Config("gru_bi_general");
        using var reversing = new Encoder(plain with { ReverseSource = true }, seed: 4);
        using var reference = new Encoder(plain, seed: 4);
        reversing.Forward(TokenBatch.From([[1, 2, 3, 4], [5, 0], [2]], plain.SourceVocabularySize), training: false);
        reference.Forward(TokenBatch.From([[4, 3, 2, 1], [0, 5], [2]], plain.SourceVocabularySize), training: false);
        Assert.True(reversing.Output.SequenceEqual(reference.Output), "outputs differ from the encoder fed the reversed sources");
        Assert.True(reversing.FinalH.SequenceEqual(reference.FinalH));
        Assert.Equal(3, reversing.SourcePosition(0, 4));
        Assert.Equal(0, reversing.SourcePosition(1, 2));
        Assert.Equal(1, reference.SourcePosition(1, 2));
    }

    [Fact]
    public void GradientsFlowToTheTokensReadNotToThePadding()
    {
        // Training with reversal gives the embedding gradient of the same rows as training on reversed sources.
        Seq2SeqConfig plain = TinyTask.Config("lstm_localm_dot");
        using var reversing = new Seq2SeqModel(plain with { ReverseSource = true }, seed: 6);
        using var reference = new Seq2SeqModel(plain, seed: 6);
        var batchA = new Seq2SeqBatch();
        var batchB = new Seq2SeqBatch();
        batchA.Fill(reversing.Config, [[1, 2, 3], [4]], [[0, 1], [2]]);
        batchB.Fill(reference.Config, [[3, 2, 1], [4]], [[0, 1], [2]]);
        reversing.ZeroGrad();
        reference.ZeroGrad();
        Assert.Equal(reference.ForwardBackward(batchB).Loss, reversing.ForwardBackward(batchA).Loss, 6);
        for (int i = 0; i < reference.Parameters.Count; i++)
        {
            ReadOnlySpan<float> want = reference.Parameters[i].Grad, got = reversing.Parameters[i].Grad;
            for (int j = 0; j < want.Length; j++)
                Assert.True(Math.Abs(want[j] - got[j]) <= 1e-6f, $"{reference.Parameters[i].Name}[{j}]: {got[j]} vs {want[j]}");
        }
    }
}
