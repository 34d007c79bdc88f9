namespace MklRnn.Cli.Seq2Seq;

/// <summary>A fixed word list, id 0 = &lt;unk&gt; for every word not in it.</summary>
internal sealed class WordVocabulary
{
    private readonly string[] _words;
    private readonly Dictionary<string, int> _ids = [];

    public WordVocabulary(IEnumerable<string> words)
    {
        _words = ["<unk>", .. words.Distinct()];
        for (int i = 0; i < _words.Length; i++) _ids[_words[i]] = i;
    }

    public int Count => _words.Length;

    public int Id(string word) => _ids.GetValueOrDefault(word, DatesTask.Unk);

    public int[] Ids(IEnumerable<string> words) => words.Select(Id).ToArray();

    public string Word(int id) => _words[id];
}
