namespace MklRnn.Cli.Classify;

/// <summary>
/// The many-to-one worked example's generated task: is a string of brackets "()[]" balanced? The label depends
/// on every token and on the length. Strings have even lengths in [2, MaxLength]; half are balanced (random
/// Dyck words of both bracket kinds), half are balanced strings with one defect (two neighbours swapped, or one
/// bracket's kind changed), so the classes cannot be told apart by length or by counts of opening and closing
/// brackets. A held-out set is drawn first from its own seed; training strings never repeat a held-out one.
/// </summary>
internal sealed class BracketTask
{
    public const string Alphabet = "()[]";
    public const int Balanced = 1, Unbalanced = 0, ClassCount = 2;

    /// <summary>Draws in a row that may hit known strings before the set of strings counts as used up (no endless loop).</summary>
    private const int MaxRepeats = 10_000;

    private readonly int _seed;
    private readonly HashSet<string> _heldOutKeys = [];

    public BracketTask(int maxLength, int evalSize, int seed)
    {
        if (maxLength < 2) throw new ArgumentOutOfRangeException(nameof(maxLength), maxLength, "strings need at least 2 brackets");
        if (evalSize < 1) throw new ArgumentOutOfRangeException(nameof(evalSize), evalSize, "the held-out set needs at least one string");
        if (maxLength < 12 && evalSize > 200)
            throw new ArgumentOutOfRangeException(nameof(evalSize), evalSize, "short strings have few distinct values: hold out at most 200 below length 12");
        MaxLength = maxLength;
        _seed = seed;
        var random = new Random(seed * 7919 + 1);
        var heldOut = new List<(int[], int)>();
        for (int misses = 0; heldOut.Count < evalSize;)
        {
            var (s, label) = Draw(random);
            if (_heldOutKeys.Add(Format(s)))
            {
                heldOut.Add((s, label));
                misses = 0;
            }
            else if (++misses == MaxRepeats)
                throw new ArgumentException(
                    $"--eval-size {evalSize}: strings up to length {maxLength} ran out of new values after {heldOut.Count} held-out ones; hold out fewer or allow longer strings");
        }
        HeldOut = heldOut;
    }

    public int MaxLength { get; }

    /// <summary>Held-out strings (ids) and their labels.</summary>
    public IReadOnlyList<(int[] Tokens, int Label)> HeldOut { get; }

    /// <summary>Training batch number `step`: a function of (seed, step) only, the same in every process.</summary>
    public void Batch(long step, int[][] sequences, int[] labels)
    {
        var random = new Random(Seeds.Mix(_seed, step));
        for (int i = 0; i < sequences.Length; i++)
        {
            (int[], int) drawn;
            int misses = 0;
            do drawn = Draw(random);
            while (_heldOutKeys.Contains(Format(drawn.Item1)) && ++misses < MaxRepeats);
            if (misses == MaxRepeats)
                throw new ArgumentException($"--eval-size: the held-out strings leave no training strings up to length {MaxLength}; hold out fewer");
            (sequences[i], labels[i]) = drawn;
        }
    }

    /// <summary>Whether a bracket string is balanced (a plain stack check: the ground truth of the task).</summary>
    public static bool IsBalanced(int[] tokens)
    {
        var open = new Stack<int>();
        foreach (int t in tokens)
        {
            if (t % 2 == 0) open.Push(t);
            else if (open.Count == 0 || open.Pop() != t - 1) return false;
        }
        return open.Count == 0;
    }

    public static int[] Parse(string text)
    {
        if (text.Length == 0 || text.Any(c => !Alphabet.Contains(c)))
            throw new ArgumentException($"'{text}' is not a non-empty string of the brackets {Alphabet}");
        return text.Select(c => Alphabet.IndexOf(c)).ToArray();
    }

    public static string Format(IEnumerable<int> tokens) => string.Concat(tokens.Select(t => Alphabet[t]));

    private (int[] Tokens, int Label) Draw(Random random)
    {
        int length = 2 * random.Next(1, MaxLength / 2 + 1);
        int[] s = RandomBalanced(random, length);
        if (random.Next(2) == 0) return (s, Balanced);
        while (true)
        {
            int[] broken = (int[])s.Clone();
            int i = random.Next(length);
            if (random.Next(2) == 0 && i + 1 < length) (broken[i], broken[i + 1]) = (broken[i + 1], broken[i]);
            else broken[i] ^= 2; // the other kind: ( <-> [, ) <-> ]
            if (!IsBalanced(broken)) return (broken, Unbalanced);
        }
    }

    /// <summary>A random balanced string: open while depth allows, close the innermost otherwise, kinds uniform.</summary>
    private static int[] RandomBalanced(Random random, int length)
    {
        var s = new int[length];
        var open = new Stack<int>();
        for (int i = 0; i < length; i++)
        {
            int left = length - i;
            bool mustClose = open.Count == left;
            if (!mustClose && (open.Count == 0 || random.Next(2) == 0)) open.Push(s[i] = 2 * random.Next(2));
            else s[i] = open.Pop() + 1;
        }
        return s;
    }
}
