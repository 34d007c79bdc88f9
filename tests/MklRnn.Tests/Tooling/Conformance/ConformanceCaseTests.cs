using MklRnn.Tooling.Conformance;

namespace MklRnn.Tests.Tooling.Conformance;

/// <summary>
/// Every golden case shipped in tests/MklRnn.Tests/Conformance/cases passes, forward and backward, through the one
/// checker (MklRnn.Tooling.Conformance) that `mklrnn conformance` runs too.
/// </summary>
public class ConformanceCaseTests
{
    public static string CasesFolder => Path.Combine(AppContext.BaseDirectory, "conformance");

    public static TheoryData<string> Cases()
    {
        var data = new TheoryData<string>();
        foreach (string path in ConformanceRunner.CaseFiles(CasesFolder)) data.Add(Path.GetFileName(path));
        return data;
    }

    [Fact]
    public void AllSharedCasesAreCopiedIntoTheRepository()
    {
        Assert.True(ConformanceRunner.CaseFiles(CasesFolder).Count() >= 35, "expected the 35 shared conformance cases");
    }

    [Fact]
    public void EveryKindTheCheckerKnowsHasCases()
    {
        var kinds = ConformanceRunner.CaseFiles(CasesFolder).Select(path => ConformanceRunner.Run(path, forwardOnly: true).Kind).ToHashSet();
        foreach (string kind in new[] { "rnn", "head", "clip", "attention" })
            Assert.Contains(kind, kinds);
        foreach (string name in new[] { "head_mean", "head_sum", "clip_active", "clip_inactive" })
            Assert.True(File.Exists(Path.Combine(CasesFolder, name + ".safetensors")), name);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void CasePasses(string file)
    {
        CaseResult result = ConformanceRunner.Run(Path.Combine(CasesFolder, file), forwardOnly: false);
        Assert.True(result.Passed, $"{result.Name} ({result.Kind}): {result.Message} max_abs_err {result.MaxAbsError:G3}");
        Assert.True(result.TensorsChecked > 0);
    }
}
