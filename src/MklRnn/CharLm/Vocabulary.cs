using System.Globalization;
using System.Text;
using System.Text.Json;

namespace MklRnn.CharLm;

/// <summary>
/// The characters (Unicode scalar values) a model knows, in id order. Built from a text in code-point
/// order; stored in model files as a JSON array of one-character strings (metadata `vocab`).
/// </summary>
public sealed class Vocabulary
{
    private readonly string[] _symbols;
    private readonly Dictionary<int, int> _ids = [];

    public Vocabulary(IReadOnlyList<string> symbols)
    {
        _symbols = symbols.ToArray();
        if (_symbols.Length == 0) throw new CharLmException("the vocabulary is empty");
        for (int i = 0; i < _symbols.Length; i++)
        {
            string s = _symbols[i];
            if (!Rune.TryGetRuneAt(s, 0, out Rune rune) || rune.Utf16SequenceLength != s.Length)
                throw new CharLmException($"vocabulary entry {i} ({JsonSerializer.Serialize(s)}) is not a single character");
            if (!_ids.TryAdd(rune.Value, i))
                throw new CharLmException($"vocabulary entry {i} ({JsonSerializer.Serialize(s)}) appears twice");
        }
    }

    /// <summary>Every distinct character of the text, in code-point order.</summary>
    public static Vocabulary FromText(string text)
    {
        var seen = new SortedSet<int>();
        foreach (Rune r in text.EnumerateRunes()) seen.Add(r.Value);
        return new Vocabulary(seen.Select(v => new Rune(v).ToString()).ToArray());
    }

    public int Count => _symbols.Length;

    public IReadOnlyList<string> Symbols => _symbols;

    public string this[int id] => _symbols[id];

    public bool TryGetId(Rune rune, out int id) => _ids.TryGetValue(rune.Value, out id);

    /// <summary>The ids of the text's characters; an unknown character throws, naming it and its position (0-based, in characters).</summary>
    public int[] Encode(string text, string what)
    {
        var ids = new List<int>(text.Length);
        int position = 0;
        foreach (Rune r in text.EnumerateRunes())
        {
            if (!_ids.TryGetValue(r.Value, out int id))
                throw new CharLmException($"{what}: character {Describe(r)} at position {position} is not in the model's vocabulary ({Count} characters)");
            ids.Add(id);
            position++;
        }
        return ids.ToArray();
    }

    /// <summary>A character for error messages: quoted, with its code point (U+0009 reads better than a raw tab).</summary>
    public static string Describe(Rune r)
    {
        string code = "U+" + r.Value.ToString("X4", CultureInfo.InvariantCulture);
        return Rune.IsControl(r) || (Rune.IsWhiteSpace(r) && r.Value != ' ') ? code : $"'{r}' ({code})";
    }

    public string ToJson() => JsonSerializer.Serialize(_symbols);

    public static Vocabulary FromJson(string json, string source)
    {
        string[]? symbols;
        try
        {
            symbols = JsonSerializer.Deserialize<string[]>(json);
        }
        catch (JsonException e)
        {
            throw new CharLmException($"{source}: metadata 'vocab' is not a JSON array of strings: {e.Message}", e);
        }
        if (symbols == null || symbols.Any(s => s == null)) throw new CharLmException($"{source}: metadata 'vocab' is not a JSON array of strings");
        try
        {
            return new Vocabulary(symbols);
        }
        catch (CharLmException e)
        {
            throw new CharLmException($"{source}: metadata 'vocab': {e.Message}", e);
        }
    }
}
