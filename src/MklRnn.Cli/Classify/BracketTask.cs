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

    private readonly int _seed;
    private readonly HeldOutSet<(int[] Tokens, int Label)> _heldOut;

    public BracketTask(int maxLength, int evalSize, int seed)
    {
        if (maxLength < 2) throw new ArgumentOutOfRangeException(nameof(maxLength), maxLength, "strings need at least 2 brackets");
        if (evalSize < 1) throw new ArgumentOutOfRangeException(nameof(evalSize), evalSize, "the held-out set needs at least one string");
        if (maxLength < 12 && evalSize > 200)
            throw new ArgumentOutOfRangeException(nameof(evalSize), evalSize, "short strings have few distinct values: hold out at most 200 below length 12");
        MaxLength = maxLength;
        _seed = seed;
        var random = new Random(seed * 7919 + 1);
        _heldOut = new HeldOutSet<(int[] Tokens, int Label)>(evalSize, () => Draw(random), p => Format(p.Tokens),
            $"bracket strings up to length {maxLength}");
    }

    public int MaxLength { get; }

    /// <summary>Held-out strings (ids) and their labels.</summary>
    public IReadOnlyList<(int[] Tokens, int Label)> HeldOut => _heldOut.Items;

    /// <summary>Training batch number `step`: a function of (seed, step) only, the same in every process.</summary>
    public void Batch(long step, int[][] sequences, int[] labels)
    {
        var random = new Random(Seeds.Mix(_seed, step));
        for (int i = 0; i < sequences.Length; i++)
        {
            (sequences[i], labels[i]) = _heldOut.DrawOther(() => Draw(random));
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
