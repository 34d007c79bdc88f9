namespace MklRnn.Cli;

/// <summary>
/// A worked example's held-out set: examples drawn at random without repeats, and training draws that avoid them.
/// Both give up after <see cref="MaxRepeats"/> draws in a row that hit known examples (an ArgumentException: bad
/// input, exit 2), so asking a small task for more held-out examples than it has never loops forever.
/// </summary>
internal sealed class HeldOutSet<T>
{
    private const int MaxRepeats = 10_000;
    private readonly HashSet<string> _keys = [];
    private readonly Func<T, string> _key;
    private readonly string _what;

    /// <param name="what">the examples the task draws, for the error, e.g. "bracket strings up to length 8".</param>
    public HeldOutSet(int size, Func<T> draw, Func<T, string> key, string what)
    {
        _key = key;
        _what = what;
        var items = new List<T>();
        for (int misses = 0; items.Count < size;)
        {
            T item = draw();
            if (_keys.Add(key(item)))
            {
                items.Add(item);
                misses = 0;
            }
            else if (++misses == MaxRepeats)
                throw new ArgumentException($"--eval-size {size}: {what} ran out of new values after {items.Count} held-out ones; hold out fewer");
        }
        Items = items;
    }

    public IReadOnlyList<T> Items { get; }

    /// <summary>A training example: a draw that is not held out.</summary>
    public T DrawOther(Func<T> draw)
    {
        for (int misses = 0; misses < MaxRepeats; misses++)
        {
            T item = draw();
            if (!_keys.Contains(_key(item))) return item;
        }
        throw new ArgumentException($"--eval-size: the held-out {_what} leave none for training; hold out fewer");
    }
}
