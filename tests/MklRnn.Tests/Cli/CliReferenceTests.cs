using System.CommandLine;
using System.Globalization;
using System.Text;

namespace MklRnn.Tests.Cli;

/// <summary>
/// docs/cli.md's reference section is the command tree itself, rendered: every verb, flag, default and range. A flag
/// added or changed without the docs fails here; `MKLRNN_UPDATE_DOCS=1 dotnet test --filter CliReferenceTests`
/// rewrites the section.
/// </summary>
public class CliReferenceTests
{
    private const string Begin = "<!-- reference: generated from the command tree by CliReferenceTests -->";
    private const string End = "<!-- end of reference -->";

    [Fact]
    public void DocsDescribeEveryVerbAndFlagAsTheCommandTreeDoes()
    {
        string path = Path.Combine(SourceTree.Root(), "docs", "cli.md");
        string docs = File.ReadAllText(path);
        int begin = docs.IndexOf(Begin, StringComparison.Ordinal), end = docs.IndexOf(End, StringComparison.Ordinal);
        Assert.True(begin >= 0 && end > begin, $"{path}: the reference markers are missing");
        string current = docs[(begin + Begin.Length)..end];
        string wanted = "\n" + Render() + "\n";
        if (current != wanted && Environment.GetEnvironmentVariable("MKLRNN_UPDATE_DOCS") == "1")
            File.WriteAllText(path, docs[..(begin + Begin.Length)] + wanted + docs[end..]);
        else
            Assert.True(current == wanted, "docs/cli.md's reference is stale: rerun with MKLRNN_UPDATE_DOCS=1");
    }

    private static string Render()
    {
        var text = new StringBuilder();
        foreach (var (path, command) in CommandTree.Verbs())
        {
            text.Append(CultureInfo.InvariantCulture, $"\n### mklrnn {path}\n\n{command.Description}\n\n");
            foreach (Argument argument in command.Arguments)
                text.Append(CultureInfo.InvariantCulture, $"Argument `{argument.Name.ToUpperInvariant()}`: {argument.Description}\n\n");
            text.Append("| flag | default | meaning |\n|---|---|---|\n");
            foreach (Option option in command.Options.Where(o => !o.Hidden && o.Name != "--help" && o.Name != "--version"))
            {
                string names = option.Aliases.Count == 0 ? $"`{option.Name}`"
                    : $"`{option.Name}` (old spelling: {string.Join(", ", option.Aliases.Order().Select(a => $"`{a}`"))})";
                string value = option.Required ? "required" : option.HasDefaultValue ? Format(option.GetDefaultValue()) : "";
                text.Append(CultureInfo.InvariantCulture, $"| {names} | {value} | {option.Description?.Replace("|", "\\|")} |\n");
            }
        }
        return text.ToString().TrimEnd('\n');
    }

    private static string Format(object? value) => value switch
    {
        null => "",
        bool b => b ? "on" : "off",
        string s => s.Length == 0 ? "" : $"`{s}`",
        IFormattable f => $"`{f.ToString(null, CultureInfo.InvariantCulture)}`",
        _ => $"`{value}`",
    };
}
