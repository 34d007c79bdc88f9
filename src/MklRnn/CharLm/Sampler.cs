using System.Text;

namespace MklRnn.CharLm;

/// <summary>
/// Generates text one character at a time with the stack's stepped inference: the prompt is fed first, then each
/// sampled character is fed back. Sampling divides the logits by the temperature (0 = always the most likely
/// character) and keeps only the top-k most likely characters (0 = all). A prompt character the model does not
/// know is an error naming it and its position. An empty prompt starts from a newline (or id 0 without one).
/// </summary>
public sealed class Sampler
{
    private readonly CharLmModel _model;
    private readonly Vocabulary _vocabulary;

    public Sampler(CharLmModel model, Vocabulary vocabulary)
    {
        _model = model;
        _vocabulary = vocabulary;
    }

    /// <summary>The prompt followed by <paramref name="length"/> generated characters.</summary>
    public string Generate(string prompt, int length, float temperature, int topK, int seed)
    {
        if (length < 0) throw new CharLmException($"--length must be >= 0, got {length}");
        if (!(temperature >= 0) || !float.IsFinite(temperature)) throw new CharLmException($"--temperature must be >= 0, got {temperature}");
        if (topK < 0) throw new CharLmException($"--top-k must be >= 0 (0 = all characters), got {topK}");
        int[] promptIds = _vocabulary.Encode(prompt, "prompt");
        if (promptIds.Length == 0)
            promptIds = [_vocabulary.TryGetId(new Rune('\n'), out int newline) ? newline : 0];

        CharLmSpec spec = _model.Spec;
        var random = new Random(seed);
        var embedded = new float[spec.EmbeddingSize];
        var hidden = new float[spec.HiddenSize];
        var logits = new float[spec.VocabularySize];
        var probabilities = new double[spec.VocabularySize];
        var order = new int[spec.VocabularySize];
        var output = new StringBuilder(prompt, prompt.Length + 2 * length);

        _model.Rnn.BeginSteps(batchSize: 1, maxSteps: 1);
        void Feed(int id)
        {
            _model.Embedding.Forward([id], embedded);
            _model.Rnn.Step(embedded, hidden);
            _model.Head.Logits(hidden, 1, logits);
        }
        foreach (int id in promptIds) Feed(id);
        for (int i = 0; i < length; i++)
        {
            int next = Choose(logits, temperature, topK, random, probabilities, order);
            output.Append(_vocabulary[next]);
            if (i + 1 < length) Feed(next);
        }
        return output.ToString();
    }

    /// <summary>A character id drawn from softmax(logits / temperature) restricted to the top k.</summary>
    internal static int Choose(ReadOnlySpan<float> logits, float temperature, int topK, Random random, double[] probabilities, int[] order)
    {
        int V = logits.Length;
        int best = 0;
        for (int j = 1; j < V; j++) if (logits[j] > logits[best]) best = j;
        if (temperature == 0) return best;

        for (int j = 0; j < V; j++) order[j] = j;
        int k = topK == 0 ? V : Math.Min(topK, V);
        // Selection of the k largest logits to the front (ties to the lower id, so sampling is repeatable).
        for (int i = 0; i < k && k < V; i++)
        {
            int m = i;
            for (int j = i + 1; j < V; j++)
                if (logits[order[j]] > logits[order[m]] || (logits[order[j]] == logits[order[m]] && order[j] < order[m])) m = j;
            (order[i], order[m]) = (order[m], order[i]);
        }
        double total = 0;
        for (int i = 0; i < k; i++)
        {
            int j = order[i];
            probabilities[i] = Math.Exp((logits[j] - logits[best]) / (double)temperature);
            total += probabilities[i];
        }
        double u = random.NextDouble() * total;
        for (int i = 0; i < k; i++)
        {
            u -= probabilities[i];
            if (u < 0) return order[i];
        }
        return order[k - 1];
    }
}
