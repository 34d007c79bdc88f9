using MklRnn.Training;

namespace MklRnn.CharLm;

/// <summary>
/// Perplexity of a text under a model: exp of the mean of -log p(c_t | c_&lt;t) over t = 1 .. len-1, the text read as
/// one stream from a zero state, in chunks whose final state starts the next chunk.
/// </summary>
public static class Evaluator
{
    public const int ChunkLength = 256;

    public static double Perplexity(CharLmModel model, ReadOnlySpan<int> ids)
    {
        if (ids.Length < 2) throw new CharLmException($"the text needs at least 2 characters for a perplexity, it has {ids.Length}");
        model.ResetState(streams: 1, maxSteps: ChunkLength);
        var total = new Perplexity();
        for (int start = 0; start < ids.Length - 1; start += ChunkLength)
        {
            int steps = Math.Min(ChunkLength, ids.Length - 1 - start);
            total.Add(model.EvaluateChunk(ids.Slice(start, steps), ids.Slice(start + 1, steps), steps));
        }
        return total.Value;
    }
}
