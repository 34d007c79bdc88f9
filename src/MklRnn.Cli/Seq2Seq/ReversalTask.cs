namespace MklRnn.Cli.Seq2Seq;

/// <summary>
/// The worked example's synthetic task: reverse a string of digits. Source ids are the digits 0-9; target ids
/// are the digits plus BOS (10) and EOS (11). Reversal needs attention: the first output digit is the last
/// input one, far from the decoder's start. A held-out set is drawn first from its own seed, and training
/// strings never repeat a held-out one.
/// </summary>
internal sealed class ReversalTask
{
    public const int Digits = 10;
    public const int Bos = 10;
    public const int Eos = 11;
    public const int TargetVocabulary = 12;

    private readonly int _seed;
    private readonly HashSet<string> _heldOut = [];

    /// <param name="minLength">Shortest training string.</param>
    /// <param name="maxLength">Longest training string, and the length of every held-out string.</param>
    public ReversalTask(int minLength, int maxLength, int evalSize, int seed)
    {
        if (minLength < 1 || maxLength < minLength)
            throw new ArgumentOutOfRangeException(nameof(minLength), $"lengths must satisfy 1 <= min ({minLength}) <= max ({maxLength})");
        if (evalSize < 1) throw new ArgumentOutOfRangeException(nameof(evalSize), evalSize, "the held-out set needs at least one string");
        if (maxLength < 18 && evalSize > Math.Pow(Digits, maxLength) / 2)
            throw new ArgumentOutOfRangeException(nameof(evalSize), evalSize, $"at most half of the {Math.Pow(Digits, maxLength)} strings of length {maxLength} can be held out");
        MinLength = minLength;
        MaxLength = maxLength;
        var evalRandom = new Random(seed * 7919 + 1);
        var heldOut = new List<int[]>();
        while (heldOut.Count < evalSize)
        {
            int[] s = RandomDigits(evalRandom, maxLength);
            if (_heldOut.Add(Key(s))) heldOut.Add(s);
        }
        HeldOut = heldOut;
        _seed = seed;
    }

    public int MinLength { get; }
    public int MaxLength { get; }

    /// <summary>Held-out sources, all of MaxLength digits.</summary>
    public IReadOnlyList<int[]> HeldOut { get; }

    /// <summary>The expected output of a source.</summary>
    public static int[] Reverse(int[] source) => source.Reverse().ToArray();

    /// <summary>
    /// Fills sources and targets with training batch number `step` (lengths uniform in [MinLength, MaxLength]):
    /// a function of the seed and the step, so a resumed run sees the data an uninterrupted one would.
    /// </summary>
    public void Batch(long step, int[][] sources, int[][] targets)
    {
        var random = new Random(Seeds.Mix(_seed, step));
        for (int i = 0; i < sources.Length; i++)
        {
            int[] s;
            do s = RandomDigits(random, random.Next(MinLength, MaxLength + 1));
            while (s.Length == MaxLength && _heldOut.Contains(Key(s)));
            sources[i] = s;
            targets[i] = Reverse(s);
        }
    }

    public static int[] Parse(string digits)
    {
        if (digits.Length == 0 || !digits.All(char.IsAsciiDigit))
            throw new ArgumentException($"'{digits}' is not a string of digits 0-9");
        return digits.Select(c => c - '0').ToArray();
    }

    public static string Format(IEnumerable<int> ids) => string.Concat(ids.Select(id => id < Digits ? (char)('0' + id) : id == Eos ? '$' : '^'));

    private static int[] RandomDigits(Random random, int length) => Enumerable.Range(0, length).Select(_ => random.Next(Digits)).ToArray();

    private static string Key(int[] s) => Format(s);
}
