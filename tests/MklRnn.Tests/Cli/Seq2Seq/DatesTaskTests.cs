using System.Globalization;
using System.Text.RegularExpressions;
using MklRnn.Cli.Seq2Seq;
using MklRnn.Seq2Seq;

namespace MklRnn.Tests.Cli.Seq2Seq;

/// <summary>
/// The dates task: every source is the date of its target (parsed back with .NET's date parsing, not with the
/// generator), rare years are &lt;unk&gt; on both sides and common ones are not, and &lt;unk&gt; replacement writes the
/// source word attention picked.
/// </summary>
public partial class DatesTaskTests
{
    [Fact]
    public void SourcesAreTheDatesOfTheirTargets()
    {
        var task = new DatesTask(evalSize: 400, seed: 3);
        int rare = 0;
        foreach (var (source, target) in task.HeldOut)
        {
            DateTime want = DateTime.ParseExact(string.Join("", target), "yyyy-MM-dd", CultureInfo.InvariantCulture);
            string text = Ordinal().Replace(string.Join(' ', source), "$1").Replace(" , ", ", ").Replace(" / ", "/").Replace(" of ", " ");
            DateTime got = DateTime.ParseExact(text, ["d MMMM yyyy", "MMM d, yyyy", "M/d/yy"], CultureInfo.InvariantCulture, DateTimeStyles.None);
            if (source.Contains("/")) got = got.AddYears(want.Year - got.Year); // two digits: the century is the task's convention
            Assert.Equal(want, got);
            bool common = want.Year is >= 1950 and <= 2049;
            Assert.Equal(common, DatesTask.TargetVocabulary.Id(target[0]) != DatesTask.Unk);
            Assert.Equal(common || source.Contains("/"), source.All(w => DatesTask.SourceVocabulary.Id(w) != DatesTask.Unk));
            if (!common) rare++;
        }
        Assert.InRange(rare, 40, 120); // about 20%
        Assert.Equal(["Dec", "2nd", ",", "2026"], DatesTask.Tokenize("Dec 2nd, 2026"));
        Assert.Equal(["12", "/", "2", "/", "26"], DatesTask.Tokenize("12/2/26"));
    }

    [Fact]
    public void ReplacementWritesTheSourceWordAttentionPicked()
    {
        using var model = new Seq2SeqModel(DatesTask.Configure(new ReversalOptions().Model with { HiddenSize = 8, EmbeddingSize = 4 }), seed: 5);
        // A head that always says <unk>: every output word is then a replacement.
        model.Parameters.Single(p => p.Name == "decoder.head.bias").Data[DatesTask.Unk] = 100f;
        string[][] sources = [["2", "December", "1837"], ["3rd", "of", "May", "2317"]];
        var plain = UnknownWordReplacement.Translate(model, sources, replaceUnk: false);
        var replaced = UnknownWordReplacement.Translate(model, sources, replaceUnk: true);
        var batch = TokenBatch.From(sources.Select(DatesTask.SourceVocabulary.Ids).ToArray(), model.Config.SourceVocabularySize);
        var (_, alignments) = AlignedGreedyDecoder.Decode(model, batch, UnknownWordReplacement.MaxOutput);
        for (int i = 0; i < sources.Length; i++)
        {
            Assert.Equal(UnknownWordReplacement.MaxOutput, plain[i].Words.Length);
            Assert.All(plain[i].Words, w => Assert.Equal("<unk>", w));
            Assert.Equal(alignments[i].Select(s => sources[i][s]), replaced[i].Words);
        }
    }

    [GeneratedRegex(@"(\d+)(st|nd|rd|th)")]
    private static partial Regex Ordinal();
}
