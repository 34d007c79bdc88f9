using System.Text;
using MklRnn.Core;

namespace MklRnn.CharLm;

/// <summary>
/// Generates text one character at a time with the stack's stepped inference: the prompt is fed first, then each
/// sampled character is fed back; each character is drawn by <see cref="Choose"/> as <see cref="SamplingOptions"/> say.
/// A prompt character the model does not know is an error naming it and its position. An empty prompt starts from a
/// newline (or id 0 without one).
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

    /// <summary>The prompt followed by up to <paramref name="length"/> generated characters (fewer when the stop string came).</summary>
    public string Generate(string prompt, int length, float temperature, int topK, int seed) =>
        Generate(prompt, length, new SamplingOptions(temperature, topK, Seed: seed), new Random(seed));

    /// <summary>
    /// The prompt followed by up to <paramref name="length"/> generated characters, drawn with <paramref name="random"/>
    /// (pass one Random to several calls for several different samples from one seed; options.Seed is not used here).
    /// </summary>
    public string Generate(string prompt, int length, SamplingOptions options, Random random)
    {
        if (length < 0) throw new CharLmException($"--length must be >= 0, got {length}");
        options.Validate();
        int[] promptIds = _vocabulary.Encode(prompt, "prompt");
        if (promptIds.Length == 0)
            promptIds = [_vocabulary.TryGetId(new Rune('\n'), out int newline) ? newline : 0];

        CharLmSpec spec = _model.Spec;
        var embedded = new float[spec.EmbeddingSize];
        var hidden = new float[spec.HiddenSize];
        var logits = new float[spec.VocabularySize];
        var probabilities = new double[spec.VocabularySize];
        var order = new int[spec.VocabularySize];
        var output = new StringBuilder(prompt, prompt.Length + 2 * length);
        string stop = options.Stop ?? "";

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
            int next = Choose(logits, options.Temperature, options.TopK, options.TopP, random, probabilities, order);
            output.Append(_vocabulary[next]);
            // The stop string may only match inside the continuation, never across the prompt.
            if (stop.Length > 0 && output.Length - prompt.Length >= stop.Length && EndsWith(output, stop))
            {
                output.Length -= stop.Length;
                break;
            }
            if (i + 1 < length) Feed(next);
        }
        return output.ToString();
    }

    /// <summary>
    /// A character id drawn from softmax(logits / temperature), restricted to the topK largest logits (0 = all),
    /// then to the smallest most-likely prefix of those holding at least topP of their probability (1 = all).
    /// Temperature 0 returns the largest logit's id (the lowest id on ties) and draws nothing. Allocation-free:
    /// probabilities and order are scratch of at least logits.Length elements. Ties between equal logits go to the
    /// lower id, so a seed repeats its draws.
    /// </summary>
    public static int Choose(ReadOnlySpan<float> logits, float temperature, int topK, float topP, Random random,
        Span<double> probabilities, Span<int> order)
    {
        int V = logits.Length;
        if (V == 0) throw new ArgumentException("logits are empty", nameof(logits));
        if (probabilities.Length < V || order.Length < V)
            throw new ArgumentException($"scratch needs {V} elements, got probabilities {probabilities.Length} and order {order.Length}");
        if (!(temperature >= 0) || !float.IsFinite(temperature)) throw new ArgumentOutOfRangeException(nameof(temperature), temperature, "temperature must be finite and >= 0");
        if (topK < 0) throw new ArgumentOutOfRangeException(nameof(topK), topK, "topK must be >= 0");
        if (!(topP > 0 && topP <= 1)) throw new ArgumentOutOfRangeException(nameof(topP), topP, "topP must be in (0, 1]");
        ArgumentNullException.ThrowIfNull(random);

        int best = 0;
        for (int j = 1; j < V; j++) if (logits[j] > logits[best]) best = j;
        if (temperature == 0) return best;

        // Unnormalised probabilities by id (the largest is 1) and their sum.
        double total = Softmax.ExpShifted(logits, temperature, probabilities[..V]);
        for (int j = 0; j < V; j++) order[j] = j;
        int k = topK == 0 ? V : Math.Min(topK, V);
        // The k most likely ids to the front of order, most likely first (a selection sort: V is a character set,
        // ~100, and k is small, so this beats sorting all V and needs no comparer allocation).
        int sorted = 0;
        if (k < V)
        {
            for (; sorted < k; sorted++) SelectNext(probabilities, order, sorted, V);
            total = 0;
            for (int i = 0; i < k; i++) total += probabilities[order[i]];
        }

        int kept = k;
        if (topP < 1)
        {
            // The nucleus: walk down from the most likely until the kept mass reaches topP of the top-k mass.
            double mass = 0;
            for (int i = 0; i < k; i++)
            {
                if (i == sorted) SelectNext(probabilities, order, sorted++, V);
                mass += probabilities[order[i]];
                if (mass >= topP * total)
                {
                    kept = i + 1;
                    total = mass;
                    break;
                }
            }
        }
        double u = random.NextDouble() * total;
        for (int i = 0; i < kept; i++)
        {
            u -= probabilities[order[i]];
            if (u < 0) return order[i];
        }
        return order[kept - 1];
    }

    /// <summary>Moves the most likely id of order[position..V) to order[position] (ties to the lower id).</summary>
    private static void SelectNext(ReadOnlySpan<double> probabilities, Span<int> order, int position, int V)
    {
        int m = position;
        for (int j = position + 1; j < V; j++)
        {
            double pj = probabilities[order[j]], pm = probabilities[order[m]];
            if (pj > pm || (pj == pm && order[j] < order[m])) m = j;
        }
        (order[position], order[m]) = (order[m], order[position]);
    }

    private static bool EndsWith(StringBuilder text, string suffix)
    {
        int start = text.Length - suffix.Length;
        for (int i = 0; i < suffix.Length; i++)
            if (text[start + i] != suffix[i]) return false;
        return true;
    }
}
