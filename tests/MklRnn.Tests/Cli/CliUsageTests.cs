using System.CommandLine;
using MklRnn.Cli;

namespace MklRnn.Tests.Cli;

/// <summary>
/// The CLI's shared rules (docs/cli.md), walked over EVERY verb of the real command tree, so a verb added later is
/// covered without a new test: a bad usage (unknown flag, out-of-range or malformed number, missing required) exits
/// 2 with one line `mklrnn VERB: error: ...` on stderr and no stack trace, and every numeric flag shows its range.
/// </summary>
public class CliUsageTests
{
    /// <summary>Every verb that runs (a leaf of the tree), as its words: "train", "seq2seq decode", ...</summary>
    public static TheoryData<string> Verbs()
    {
        var data = new TheoryData<string>();
        foreach (var (path, _) in CommandTree.Verbs()) data.Add(path);
        return data;
    }

    /// <summary>Every numeric option of every verb, as (verb, option).</summary>
    public static TheoryData<string, string> NumericOptions()
    {
        var data = new TheoryData<string, string>();
        foreach (var (path, command) in CommandTree.Verbs())
            foreach (Option option in command.Options.Where(IsNumeric))
                data.Add(path, option.Name);
        return data;
    }

    [Fact]
    public void TheWalkSeesEveryVerb()
    {
        var verbs = CommandTree.Verbs().Select(leaf => leaf.Path).ToList();
        foreach (string verb in new[] { "train", "eval", "sample", "demo", "seq2seq train", "seq2seq decode", "conformance", "bench", "perf-run", "perf-compare" })
            Assert.Contains(verb, verbs);
        int numeric = CommandTree.Verbs().Sum(leaf => leaf.Command.Options.Count(IsNumeric));
        Assert.True(numeric >= 40, $"only {numeric} numeric options found");
    }

    [Theory]
    [MemberData(nameof(Verbs))]
    public void UnknownFlagIsAUsageError(string verb) =>
        // (A verb that takes free arguments may read the flag as one: then another usage error is reported.)
        AssertUsageError([.. verb.Split(' '), "--no-such-flag", "1"], verb, "");

    [Theory]
    [MemberData(nameof(Verbs))]
    public void MissingRequiredIsAUsageError(string verb)
    {
        Command command = CommandTree.Verb(verb);
        bool needsSomething = command.Options.Any(o => o.Required) || command.Arguments.Any(a => a.Arity.MinimumNumberOfValues > 0);
        if (!needsSomething) return; // nothing to leave out: every input of this verb has a default
        AssertUsageError(verb.Split(' '), verb, "equired");
    }

    [Theory]
    [MemberData(nameof(NumericOptions))]
    public void NumericFlagsShowAndCheckTheirRange(string verb, string option)
    {
        Option symbol = CommandTree.Verb(verb).Options.Single(o => o.Name == option);
        Assert.Matches(@"[\[(]-?[0-9.eE+]+, [0-9.eE+]+\]", symbol.Description);
        // Every range starts at 0 or above, so -1 is out of every range; a malformed number is a usage error too.
        AssertUsageError([.. verb.Split(' '), option, "-1"], verb, option);
        AssertUsageError([.. verb.Split(' '), option, "12abc"], verb, option);
    }

    /// <summary>The flags issue 11 item 8 found without bounds: each is refused at parse time, naming the flag.</summary>
    [Theory]
    [InlineData("sample --checkpoint x --length 1073741824", "--length")]
    [InlineData("train --seq-length 100000000", "--seq-length")]
    [InlineData("train --seq-length 2147483647", "--seq-length")]
    [InlineData("train --hidden 2147483647", "--hidden")]
    [InlineData("train --embedding 2147483647", "--embedding")]
    [InlineData("train --layers 2147483647", "--layers")]
    [InlineData("seq2seq decode --checkpoint x --beam 2147483647 12", "--beam")]
    [InlineData("seq2seq train --checkpoint x --length 100000", "--length")]
    [InlineData("seq2seq train --checkpoint x --eval-size 2147483647", "--eval-size")]
    [InlineData("seq2seq decode --checkpoint x --max-length -1 12", "--max-length")]
    [InlineData("train --lr NaN", "--lr")]
    [InlineData("bench --dirs 3", "--dirs")]
    [InlineData("bench --mode fit", "--mode")]
    public void UnboundedFlagsOfIssue11AreRefused(string commandLine, string flag)
    {
        string[] args = commandLine.Split(' ');
        string verb = args[0] == "seq2seq" ? $"{args[0]} {args[1]}" : args[0];
        AssertUsageError(args, verb, flag);
    }

    [Theory]
    [InlineData("train --cell rnn")]
    [InlineData("train --cell rnn-relu")]
    [InlineData("seq2seq train --checkpoint x --cell rnn")]
    [InlineData("seq2seq train --checkpoint x --cell rnn_tanh")]
    [InlineData("bench --cell rnn")]
    [InlineData("seq2seq train --checkpoint x --batch-size 8")]
    [InlineData("seq2seq train --out x --batch 8")]
    [InlineData("seq2seq decode --model x 12")]
    public void OneVocabularyOfNamesParses(string commandLine) =>
        Assert.Empty(CommandLineApp.Root().Parse(commandLine.Split(' ')).Errors);

    [Theory]
    [InlineData("train")]
    [InlineData("seq2seq train --checkpoint x")]
    public void AnUnknownCellIsAUsageError(string commandLine) =>
        AssertUsageError([.. commandLine.Split(' '), "--cell", "lstmx"], commandLine.Split(" --")[0], "--cell must be one of");

    [Fact]
    public void ConformanceOnAnEmptyFolderSaysWhy()
    {
        using var folder = new TempFolder();
        var (code, output, error) = CliRunner.Run("conformance", folder.Path);
        Assert.Equal(2, code);
        Assert.Equal("", output);
        Assert.Equal($"mklrnn conformance: error: no *.safetensors case files in {folder.Path}", error.TrimEnd('\n'));
    }

    /// <summary>Issue 11 item 6: a lone surrogate escape in a header reaches every verb as one line, exit 2.</summary>
    [Fact]
    public void ALibraryErrorIsOneLineForEveryVerbThatReadsTheFile()
    {
        using var folder = new TempFolder();
        string bad = folder["surrogate.safetensors"];
        File.WriteAllBytes(bad, Convert.FromHexString("0d000000000000007b225c7564383030223a7b7d7d"));
        File.WriteAllText(folder["text.txt"], "hello");
        foreach (string[] args in new[]
                 {
                     new[] { "eval", "--checkpoint", bad, "--text", folder["text.txt"] },
                     ["sample", "--checkpoint", bad],
                     ["seq2seq", "decode", "--checkpoint", bad, "12"],
                 })
        {
            string verb = args[0] == "seq2seq" ? "seq2seq decode" : args[0];
            var (code, _, error) = CliRunner.Run(args);
            Assert.True(code == 2, $"{string.Join(' ', args)}: exit {code}: {error}");
            string line = Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
            Assert.StartsWith($"mklrnn {verb}: error: ", line);
            Assert.Contains("not valid Unicode", line);
        }
    }

    [Fact]
    public void AnUnexpectedFailureIsOneLineExit1AndVerboseAddsTheStackTrace()
    {
        Exception thrown;
        try { throw new NullReferenceException("boom"); }
        catch (NullReferenceException e) { thrown = e; }

        var quiet = new StringWriter();
        Assert.Equal(1, FailureReport.Write("train", thrown, verbose: false, quiet));
        Assert.Equal("mklrnn train: error: NullReferenceException: boom (rerun with --verbose for the stack trace)", quiet.ToString().TrimEnd('\n'));

        var verbose = new StringWriter();
        Assert.Equal(1, FailureReport.Write("train", thrown, verbose: true, verbose));
        Assert.Contains("   at ", verbose.ToString());

        var input = new StringWriter();
        Assert.Equal(2, FailureReport.Write("eval", new InvalidDataException("line one\nline two"), verbose: false, input));
        Assert.Equal("mklrnn eval: error: line one line two", input.ToString().TrimEnd('\n'));
    }

    [Fact]
    public void VerboseIsAcceptedAfterAnyVerb() =>
        Assert.Empty(CommandLineApp.Root().Parse(["seq2seq", "decode", "--checkpoint", "x", "--verbose", "12"]).Errors);

    private static void AssertUsageError(string[] args, string verb, string mentioned)
    {
        var (code, output, error) = CliRunner.Run(args);
        string shown = $"{string.Join(' ', args)}: exit {code}, stderr: {error}";
        Assert.True(code == 2, shown);
        Assert.DoesNotContain("RESULT {\"", output);
        string line = Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith($"mklrnn {verb}: error: ", line);
        Assert.Contains(mentioned, line);
        Assert.DoesNotContain("   at ", error);
    }

    private static bool IsNumeric(Option option)
    {
        Type type = Nullable.GetUnderlyingType(option.ValueType) ?? option.ValueType;
        return type == typeof(int) || type == typeof(long) || type == typeof(float) || type == typeof(double);
    }
}
