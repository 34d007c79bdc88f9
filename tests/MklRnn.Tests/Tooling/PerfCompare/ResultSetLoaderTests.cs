using System.Text;
using MklRnn.Tooling.PerfCompare;

namespace MklRnn.Tests.Tooling.PerfCompare;

public class ResultSetLoaderTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void OnlyWorkloadActualIterations_AreRead_AsNanosecondsPerOperation()
    {
        double[] perOp = [100, 101, 102, 99, 98, 100.5];
        string file = new BdnJsonBuilder().AddRaw("Synthetic.A", perOp, bytes: 48).WriteTo(_temp["a-report-full.json"]);

        ResultSet set = ResultSetLoader.Load(file);
        BenchmarkResult a = Assert.Single(set.Benchmarks);
        Assert.Equal(perOp.Length, a.Measurements.Count);
        for (int i = 0; i < perOp.Length; i++)
            Assert.Equal(perOp[i], a.Measurements[i], 9);
        Assert.Equal(100.25, a.Median, 9); // Statistics.Median
        Assert.Equal(48, a.BytesAllocatedPerOperation);
        Assert.Equal("Synthetic CPU @ 3.0GHz", set.Machine[MachineFacts.Cpu]);
        Assert.Equal("2", set.Machine[MachineFacts.Cores]);
        Assert.Equal(".NET 10.0.0 (10.0.25.50000)", set.Machine[MachineFacts.DotnetVersion]);
    }

    [Fact]
    public void ByteOrderMark_IsAccepted()
    {
        string json = new BdnJsonBuilder().Add("Synthetic.A", 1_000, 0.01, seed: 1).ToJson();
        string file = _temp["bom-report-full.json"];
        File.WriteAllText(file, json, new UTF8Encoding(encoderShouldEmitUTF8Identifier: true));
        Assert.Single(ResultSetLoader.Load(file).Benchmarks);
    }

    [Fact]
    public void IndentedAndCompressedExportsOfOneRun_AreReadOnce()
    {
        var builder = new BdnJsonBuilder().Add("Synthetic.A", 1_000, 0.01, seed: 1);
        builder.WriteTo(_temp["results/Run-report-full.json"]);
        builder.WriteTo(_temp["results/Run-report-full-compressed.json"], indented: false);
        builder.WriteTo(_temp["results/Run-report.csv"]); // not a JSON report: ignored

        ResultSet set = ResultSetLoader.Load(_temp.Path);
        Assert.Single(set.Files);
        Assert.Single(set.Benchmarks);
        Assert.Empty(set.Warnings);
    }

    [Fact]
    public void DuplicateBenchmarksAcrossReports_KeepTheFirst_WithAWarning()
    {
        new BdnJsonBuilder().Add("Synthetic.A", 1_000, 0.01, seed: 1).WriteTo(_temp["1/A-report-full.json"]);
        new BdnJsonBuilder().Add("Synthetic.A", 9_000, 0.01, seed: 1).WriteTo(_temp["2/A-report-full.json"]);

        ResultSet set = ResultSetLoader.Load(_temp.Path);
        BenchmarkResult a = Assert.Single(set.Benchmarks);
        Assert.InRange(a.Median, 900, 1_100);
        Assert.Contains("appears more than once", Assert.Single(set.Warnings));
    }

    [Fact]
    public void MissingMeasurements_FallBackToOriginalValues()
    {
        string file = _temp["old-report-full.json"];
        File.WriteAllText(file, """
            {"Benchmarks": [{"FullName": "Synthetic.A",
              "Statistics": {"OriginalValues": [10, 11, 12, 13, 14], "Median": 12, "Mean": 12, "N": 5},
              "Memory": {"BytesAllocatedPerOperation": 0}}]}
            """);
        BenchmarkResult a = Assert.Single(ResultSetLoader.Load(file).Benchmarks);
        Assert.Equal([10.0, 11, 12, 13, 14], a.Measurements);
    }

    [Fact]
    public void EmptyFolder_IsAnError()
    {
        var e = Assert.Throws<PerfDataException>(() => ResultSetLoader.Load(_temp.Path));
        Assert.StartsWith(_temp.Path, e.Message);
        Assert.Contains("no BenchmarkDotNet full JSON reports", e.Message);
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("[1, 2]", "Benchmarks")]
    [InlineData("{\"Benchmarks\": [{\"Statistics\": {}}]}", "Benchmarks[0] has no FullName")]
    [InlineData("{\"Benchmarks\": [{\"FullName\": \"A\", \"Statistics\": {\"Median\": \"fast\"}}]}", "Median is not a number")]
    [InlineData("{\"Benchmarks\": [{\"FullName\": \"A\", \"Measurements\": [{\"IterationMode\": \"Workload\", \"IterationStage\": \"Actual\", \"Operations\": 1}]}]}", "has no Nanoseconds")]
    [InlineData("{\"Benchmarks\": [", "truncated")]
    [InlineData("{\"Benchmarks\": [],}", "malformed")]
    public void BadFiles_AreErrorsNamingTheFile(string content, string expected)
    {
        string file = _temp["bad-report-full.json"];
        File.WriteAllText(file, content);
        var e = Assert.Throws<PerfDataException>(() => ResultSetLoader.Load(file));
        Assert.StartsWith(file + ": ", e.Message);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void MalformedMachineJson_IsAnErrorNamingIt()
    {
        new BdnJsonBuilder().Add("Synthetic.A", 1_000, 0.01, seed: 1).WriteTo(_temp["A-report-full.json"]);
        File.WriteAllText(_temp["machine.json"], "{\"cpu\": ");
        var e = Assert.Throws<PerfDataException>(() => ResultSetLoader.Load(_temp.Path));
        Assert.Equal(_temp["machine.json"], e.PathAtFault);
    }

    [Fact]
    public void MachineJson_NonStringValues_BecomeText()
    {
        new BdnJsonBuilder().Add("Synthetic.A", 1_000, 0.01, seed: 1).WriteTo(_temp["A-report-full.json"]);
        File.WriteAllText(_temp["machine.json"], """{"cores": 8, "mkl_threads": "4", "turbo": false}""");
        MachineFacts m = ResultSetLoader.Load(_temp.Path).Machine;
        Assert.Equal("8", m[MachineFacts.Cores]); // overrides HostEnvironmentInfo's 2
        Assert.Equal("4", m[MachineFacts.MklThreads]);
        Assert.Equal("false", m["turbo"]);
    }
}
