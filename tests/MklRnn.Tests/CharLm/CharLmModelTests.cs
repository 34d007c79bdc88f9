using MklRnn.CharLm;
using MklRnn.Cli.CharLm;

namespace MklRnn.Tests.CharLm;

/// <summary>The model's gradients by finite differences, the batcher's streams, the split and the vocabulary.</summary>
public class CharLmModelTests
{
    [Theory]
    [InlineData(CellKind.Lstm)]
    [InlineData(CellKind.Gru)]
    public void TrainChunkGradientsMatchFiniteDifferences(CellKind cell)
    {
        const int V = 7, N = 3, T = 5;
        using var model = new CharLmModel(new CharLmSpec(cell, V, EmbeddingSize: 4, HiddenSize: 6, NumLayers: 2), seed: 11);
        var random = new Random(5);
        int[] inputs = Enumerable.Range(0, T * N).Select(_ => random.Next(V)).ToArray();
        int[] targets = Enumerable.Range(0, T * N).Select(_ => random.Next(V)).ToArray();
        // A non-zero carried state, as in the middle of an epoch.
        model.ResetState(N, T);
        model.TrainChunk(inputs, targets, T);
        float[] carried = model.ExportState();

        double Loss()
        {
            model.ResetState(N, T);
            model.ImportState(carried);
            return model.EvaluateChunk(inputs, targets, T).MeanTokenLoss;
        }

        foreach (Parameter p in model.Parameters) p.ZeroGrad();
        model.ResetState(N, T);
        model.ImportState(carried);
        model.TrainChunk(inputs, targets, T);
        foreach (Parameter p in model.Parameters)
        {
            float[] analytic = p.Grad.ToArray();
            for (int k = 0; k < 4; k++)
            {
                int i = random.Next(p.Length);
                // Embedding rows of ids that never occur have a zero gradient: check one that occurs.
                if (p.Name == "embedding.weight") i = inputs[k] * 4 + k % 4;
                const float h = 1e-2f;
                float saved = p.Values[i];
                p.Data[i] = saved + h;
                double up = Loss();
                p.Data[i] = saved - h;
                double down = Loss();
                p.Data[i] = saved;
                double numeric = (up - down) / (2 * h);
                Assert.True(Math.Abs(numeric - analytic[i]) <= 2e-3 + 0.05 * Math.Abs(numeric),
                    $"{cell} {p.Name}[{i}]: finite difference {numeric}, backward {analytic[i]}");
            }
        }
    }

    [Fact]
    public void BatcherColumnsAreContiguousStreamsOfNextCharacterTargets()
    {
        int[] ids = Enumerable.Range(0, 103).ToArray(); // id = position: easy to follow
        var batcher = new StreamBatcher(ids, batchSize: 4, seqLength: 7);
        Assert.Equal(25, batcher.ColumnLength);          // (103 - 1) / 4
        Assert.Equal(4, batcher.ChunkCount);              // 7 + 7 + 7 + 4
        Assert.Equal(4, batcher.StepsIn(3));
        var inputs = new int[28];
        var targets = new int[28];
        int position = 0;
        for (int chunk = 0; chunk < batcher.ChunkCount; chunk++)
        {
            int steps = batcher.Fill(chunk, inputs, targets);
            for (int t = 0; t < steps; t++, position++)
                for (int b = 0; b < 4; b++)
                {
                    Assert.Equal(b * 25 + position, inputs[t * 4 + b]);
                    Assert.Equal(inputs[t * 4 + b] + 1, targets[t * 4 + b]);
                }
        }
        Assert.Equal(25, position);
        Assert.Throws<CharLmException>(() => new StreamBatcher([1, 2, 3], batchSize: 4, seqLength: 7));
    }

    [Fact]
    public void SplitHoldsOutEveryTwentiethBlockAndKeepsEveryCharacter()
    {
        int[] ids = Enumerable.Range(0, 1000).ToArray();
        DataSplit split = DataSplit.Of(ids);
        Assert.Equal(950, split.Train.Length);
        Assert.Equal(Enumerable.Range(950, 50), split.Validation); // block 50, index 19 = the last
        Assert.Equal(ids, split.Train.Concat(split.Validation).Order());
        Assert.Throws<CharLmException>(() => DataSplit.Of([1, 2, 3]));
    }

    [Fact]
    public void VocabularyRoundTripsThroughJsonAndNamesUnknownCharacters()
    {
        var vocabulary = Vocabulary.FromText("héllo\tworld 😀");
        Assert.Equal(["\t", " ", "d", "h", "l", "o", "r", "w", "é", "😀"], vocabulary.Symbols);
        var back = Vocabulary.FromJson(vocabulary.ToJson(), "test");
        Assert.Equal(vocabulary.Symbols, back.Symbols);
        Assert.Equal([3, 8, 4, 4, 5], back.Encode("héllo", "x"));
        var error = Assert.Throws<CharLmException>(() => back.Encode("hollow!", "greeting"));
        Assert.Contains("greeting: character '!' (U+0021) at position 6", error.Message);
        Assert.Throws<CharLmException>(() => Vocabulary.FromJson("[\"ab\"]", "test"));
        Assert.Throws<CharLmException>(() => Vocabulary.FromJson("{}", "test"));
    }
}
