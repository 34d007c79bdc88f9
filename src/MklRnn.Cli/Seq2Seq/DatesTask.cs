using System.Globalization;
using MklRnn.Seq2Seq;

namespace MklRnn.Cli.Seq2Seq;

/// <summary>
/// The word-level worked example for unknown-word replacement: dates written in four ways ("2 December 2026",
/// "Dec 2nd , 2026", "12 / 2 / 26", "2nd of December 2026") normalised to "2026 - 12 - 02". Both vocabularies
/// are limited as a word-level translation vocabulary is: they hold the 100 common years 1950-2049 (80% of the
/// dates) but not the rare ones (1600-2399 otherwise), which become &lt;unk&gt; (id 0) on both sides. A model can then
/// only write &lt;unk&gt; for a rare year; replacing it with the source word attention points at restores it. The
/// two-digit form is only used for common years (its century would be ambiguous otherwise).
/// </summary>
internal sealed class DatesTask
{
    public const int Unk = 0;
    private const int CommonFirst = 1950, CommonLast = 2049, RareFirst = 1600, RareLast = 2399;
    private static readonly string[] Months = CultureInfo.InvariantCulture.DateTimeFormat.MonthNames[..12];
    private static readonly string[] Abbreviations = CultureInfo.InvariantCulture.DateTimeFormat.AbbreviatedMonthNames[..12];

    private readonly int _seed;
    private readonly HeldOutSet<(string[] Source, string[] Target)> _heldOut;

    public DatesTask(int evalSize, int seed)
    {
        if (evalSize < 1) throw new ArgumentOutOfRangeException(nameof(evalSize), evalSize, "the held-out set needs at least one date");
        _seed = seed;
        var random = new Random(seed * 7919 + 1);
        _heldOut = new HeldOutSet<(string[] Source, string[] Target)>(evalSize, () => Draw(random), p => string.Join(' ', p.Source), "dates");
    }

    /// <summary>Source words: &lt;unk&gt;, numbers 1-31, ordinals, month names and abbreviations, "," "/" "of", common years, 00-99.</summary>
    public static WordVocabulary SourceVocabulary { get; } = new(
        [.. Enumerable.Range(1, 31).Select(I), .. Enumerable.Range(1, 31).Select(Ordinal), .. Months, .. Abbreviations, ",", "/", "of",
         .. Enumerable.Range(CommonFirst, CommonLast - CommonFirst + 1).Select(I), .. Enumerable.Range(0, 100).Select(n => n.ToString("00", CultureInfo.InvariantCulture))]);

    /// <summary>Target words: &lt;unk&gt;, BOS, EOS, "-", 01-31, common years.</summary>
    public static WordVocabulary TargetVocabulary { get; } = new(
        ["<s>", "</s>", "-", .. Enumerable.Range(1, 31).Select(n => n.ToString("00", CultureInfo.InvariantCulture)),
         .. Enumerable.Range(CommonFirst, CommonLast - CommonFirst + 1).Select(I)]);

    public static int Bos => TargetVocabulary.Id("<s>");
    public static int Eos => TargetVocabulary.Id("</s>");

    /// <summary>A model config with this task's vocabularies, BOS and EOS.</summary>
    public static Seq2SeqConfig Configure(Seq2SeqConfig config) => config with
    {
        SourceVocabularySize = SourceVocabulary.Count,
        TargetVocabularySize = TargetVocabulary.Count,
        BosId = Bos,
        EosId = Eos,
    };

    /// <summary>Held-out (source words, target words) pairs.</summary>
    public IReadOnlyList<(string[] Source, string[] Target)> HeldOut => _heldOut.Items;

    /// <summary>Training batch number `step` as ids (rare years as &lt;unk&gt;): a function of (seed, step) only.</summary>
    public void Batch(long step, int[][] sources, int[][] targets)
    {
        var random = new Random(Seeds.Mix(_seed, step));
        for (int i = 0; i < sources.Length; i++)
        {
            (string[] Source, string[] Target) pair = _heldOut.DrawOther(() => Draw(random));
            sources[i] = SourceVocabulary.Ids(pair.Source);
            targets[i] = TargetVocabulary.Ids(pair.Target);
        }
    }

    /// <summary>Splits a date as typed ("Dec 2nd, 2026", "12/2/26") into the task's source words.</summary>
    public static string[] Tokenize(string text) =>
        text.Replace(",", " , ").Replace("/", " / ").Split(' ', StringSplitOptions.RemoveEmptyEntries);

    private static (string[] Source, string[] Target) Draw(Random random)
    {
        bool common = random.NextDouble() < 0.8;
        int year;
        do year = common ? random.Next(CommonFirst, CommonLast + 1) : random.Next(RareFirst, RareLast + 1);
        while (!common && year is >= CommonFirst and <= CommonLast);
        int month = random.Next(1, 13), day = random.Next(1, DateTime.DaysInMonth(year, month) + 1);
        int format = random.Next(common ? 4 : 3);
        string[] source = format switch
        {
            0 => [I(day), Months[month - 1], I(year)],
            1 => [Abbreviations[month - 1], Ordinal(day), ",", I(year)],
            2 => [Ordinal(day), "of", Months[month - 1], I(year)],
            _ => [I(month), "/", I(day), "/", (year % 100).ToString("00", CultureInfo.InvariantCulture)],
        };
        return (source, [I(year), "-", month.ToString("00", CultureInfo.InvariantCulture), "-", day.ToString("00", CultureInfo.InvariantCulture)]);
    }

    private static string I(int n) => n.ToString(CultureInfo.InvariantCulture);

    private static string Ordinal(int n) => I(n) + (n % 100 is 11 or 12 or 13 ? "th" : (n % 10) switch { 1 => "st", 2 => "nd", 3 => "rd", _ => "th" });
}
