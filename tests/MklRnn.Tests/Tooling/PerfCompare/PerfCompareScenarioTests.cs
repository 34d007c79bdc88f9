using MklRnn.Tooling.PerfCompare;

namespace MklRnn.Tests.Tooling.PerfCompare;

/// <summary>End to end: synthetic BenchmarkDotNet reports on disk, loaded, compared, and run through the verb.</summary>
public class PerfCompareScenarioTests : IDisposable
{
    private const string Forward = "MklRnn.Perf.LstmBenchmarks.Forward(Hidden: 256, Batch: 32)";
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    private (string Base, string New) Write(BdnJsonBuilder @base, BdnJsonBuilder @new) =>
        (@base.WriteTo(_temp["base/results/Lstm-report-full.json"]),
         @new.WriteTo(_temp["new/results/Lstm-report-full.json"]));

    private static ComparisonReport Compare(string basePath, string newPath) =>
        PerfComparer.Compare(ResultSetLoader.Load(basePath), ResultSetLoader.Load(newPath), ComparisonOptions.Default);

    [Fact]
    public void Slowdown20Percent_IsARegression_AndFailsTheRun()
    {
        Write(new BdnJsonBuilder().Add(Forward, 1_000_000, 0.01, seed: 1),
              new BdnJsonBuilder().Add(Forward, 1_200_000, 0.01, seed: 2));

        ComparisonReport report = Compare(_temp["base"], _temp["new"]);
        BenchmarkComparison c = Assert.Single(report.Regressions);
        Assert.Equal(Forward, c.Name);
        Assert.Equal(Verdict.Slower, c.Verdict);
        Assert.InRange(c.Ratio, 1.17, 1.23);
        Assert.True(c.PValue < 1e-6, $"p = {c.PValue}");
        Assert.False(c.IsNoisy);
        Assert.Empty(report.Improvements);
        Assert.Equal(1, report.ExitCode);

        var (exitCode, output, error) = PerfCompareRunner.Run(_temp["base"], _temp["new"]);
        Assert.Equal(1, exitCode);
        Assert.Equal("", error);
        Assert.Contains(Forward, output);
        Assert.Equal("1 regressions, 0 improvements, 0 same", output.TrimEnd().Split('\n')[^1].TrimEnd());
        Assert.DoesNotContain("\u001b[", output); // redirected: no ANSI escapes
    }

    [Fact]
    public void EqualDistributions_AreSame()
    {
        var @base = new BdnJsonBuilder();
        var @new = new BdnJsonBuilder();
        for (int i = 0; i < 8; i++)
        {
            @base.Add($"Synthetic.Equal.Case{i}", 50_000 * (i + 1), 0.01, seed: 100 + i);
            @new.Add($"Synthetic.Equal.Case{i}", 50_000 * (i + 1), 0.01, seed: 200 + i);
        }
        Write(@base, @new);

        ComparisonReport report = Compare(_temp["base"], _temp["new"]);
        Assert.Equal(8, report.Comparisons.Count);
        Assert.All(report.Comparisons, c => Assert.Equal(Verdict.Same, c.Verdict));
        Assert.Equal("0 regressions, 0 improvements, 8 same", report.Summary);
        Assert.Equal(0, PerfCompareRunner.Run(_temp["base"], _temp["new"]).ExitCode);
    }

    [Fact]
    public void Noisy3PercentChange_IsNotARegression()
    {
        Write(new BdnJsonBuilder().Add(Forward, 1_000_000, 0.10, seed: 3),
              new BdnJsonBuilder().Add(Forward, 1_030_000, 0.10, seed: 4));

        ComparisonReport report = Compare(_temp["base"], _temp["new"]);
        BenchmarkComparison c = Assert.Single(report.Comparisons);
        Assert.Equal(Verdict.Same, c.Verdict);
        Assert.Empty(report.Regressions);
        Assert.Equal(0, report.ExitCode);
        Assert.Equal(0, PerfCompareRunner.Run(_temp["base"], _temp["new"]).ExitCode);
    }

    [Fact]
    public void NoisyButLargeSlowdown_StillARegression_FlaggedNoisy()
    {
        // The chosen rule (as dotnet/performance's ResultsComparer): the test decides, noise is only a warning.
        Write(new BdnJsonBuilder().Add(Forward, 1_000_000, 0.15, seed: 5),
              new BdnJsonBuilder().Add(Forward, 1_600_000, 0.15, seed: 6));

        BenchmarkComparison c = Assert.Single(Compare(_temp["base"], _temp["new"]).Regressions);
        Assert.True(c.IsNoisy);
        Assert.Contains("CV", c.Noise);

        var (exitCode, output, _) = PerfCompareRunner.Run(_temp["base"], _temp["new"]);
        Assert.Equal(1, exitCode);
        Assert.Contains("CV", output);
    }

    [Fact]
    public void TooFewMeasurements_AreFlaggedNoisy()
    {
        Write(new BdnJsonBuilder().Add(Forward, 1_000_000, 0.01, seed: 7, n: 3),
              new BdnJsonBuilder().Add(Forward, 1_000_000, 0.01, seed: 8, n: 3));
        BenchmarkComparison c = Assert.Single(Compare(_temp["base"], _temp["new"]).NoisySame);
        Assert.Contains("3 measurements", c.Noise);
    }

    [Fact]
    public void BenchmarkOnOneSideOnly_IsListedAsMissing()
    {
        Write(new BdnJsonBuilder().Add(Forward, 1_000, 0.01, seed: 1).Add("Synthetic.Old", 1_000, 0.01, seed: 2),
              new BdnJsonBuilder().Add(Forward, 1_000, 0.01, seed: 3).Add("Synthetic.Added", 1_000, 0.01, seed: 4));

        ComparisonReport report = Compare(_temp["base"], _temp["new"]);
        Assert.Equal(["Synthetic.Old"], report.OnlyInBase);
        Assert.Equal(["Synthetic.Added"], report.OnlyInNew);
        Assert.Single(report.Comparisons);

        var (exitCode, output, _) = PerfCompareRunner.Run(_temp["base"], _temp["new"]);
        Assert.Equal(0, exitCode);
        Assert.Contains("Only in base (1)", output);
        Assert.Contains("Synthetic.Old", output);
        Assert.Contains("Only in new (1)", output);
        Assert.Contains("Synthetic.Added", output);
    }

    [Fact]
    public void Speedup20Percent_IsAnImprovement_AndPasses()
    {
        Write(new BdnJsonBuilder().Add(Forward, 1_000_000, 0.01, seed: 1),
              new BdnJsonBuilder().Add(Forward, 800_000, 0.01, seed: 2));

        ComparisonReport report = Compare(_temp["base"], _temp["new"]);
        BenchmarkComparison c = Assert.Single(report.Improvements);
        Assert.Equal(Verdict.Faster, c.Verdict);
        Assert.InRange(c.Ratio, 0.77, 0.83);
        Assert.Empty(report.Regressions);

        var (exitCode, output, _) = PerfCompareRunner.Run(_temp["base"], _temp["new"]);
        Assert.Equal(0, exitCode);
        Assert.Contains("Improvements (1)", output);
        Assert.EndsWith("0 regressions, 1 improvements, 0 same", output.TrimEnd());
    }

    [Fact]
    public void AllocationChange_IsReported()
    {
        Write(new BdnJsonBuilder().Add(Forward, 1_000_000, 0.01, seed: 1, bytes: 0)
                  .Add("Synthetic.Unmeasured", 1_000, 0.01, seed: 2, bytes: null),
              new BdnJsonBuilder().Add(Forward, 1_000_000, 0.01, seed: 2, bytes: 4096)
                  .Add("Synthetic.Unmeasured", 1_000, 0.01, seed: 3, bytes: null));

        ComparisonReport report = Compare(_temp["base"], _temp["new"]);
        BenchmarkComparison c = Assert.Single(report.AllocationChanges);
        Assert.Equal(Forward, c.Name);
        Assert.Equal(AllocationChange.Changed, c.Allocation);
        Assert.Equal(Verdict.Same, c.Verdict);
        Assert.Equal(AllocationChange.Unknown, report.Comparisons.Single(x => x.Name == "Synthetic.Unmeasured").Allocation);

        var (exitCode, output, _) = PerfCompareRunner.Run(_temp["base"], _temp["new"]);
        Assert.Equal(0, exitCode);
        Assert.Contains("Allocation changes (1)", output);
        Assert.Contains("4.00 KB", output);
    }

    [Fact]
    public void AllocationChange_ShowsInTheRegressionRow()
    {
        Write(new BdnJsonBuilder().Add(Forward, 1_000_000, 0.01, seed: 1, bytes: 100),
              new BdnJsonBuilder().Add(Forward, 1_500_000, 0.01, seed: 2, bytes: 200));
        var (_, output, _) = PerfCompareRunner.Run(_temp["base"], _temp["new"]);
        Assert.Contains("changed 100 B -> 200 B", output);
    }

    [Fact]
    public void MalformedJson_ExitCode2_NamingTheFile()
    {
        string good = new BdnJsonBuilder().Add(Forward, 1_000, 0.01, seed: 1).WriteTo(_temp["good-report-full.json"]);
        string bad = _temp["bad-report-full.json"];
        File.WriteAllText(bad, "{ \"Benchmarks\": [ { \"FullName\": oops } ] }");

        var (exitCode, output, error) = PerfCompareRunner.Run(good, bad);
        Assert.Equal(2, exitCode);
        Assert.Equal("", output);
        Assert.Contains(bad, error);
        Assert.Contains("malformed or truncated JSON at line 1", error);
        Assert.DoesNotContain("   at ", error); // no stack trace
    }

    [Fact]
    public void TruncatedJson_ExitCode2_NamingTheFile()
    {
        string good = new BdnJsonBuilder().Add(Forward, 1_000, 0.01, seed: 1).WriteTo(_temp["base/x-report-full.json"]);
        string json = File.ReadAllText(good);
        string truncated = _temp["new/x-report-full.json"];
        Directory.CreateDirectory(Path.GetDirectoryName(truncated)!);
        File.WriteAllText(truncated, json[..(json.Length / 2)]);

        // Through the folder: the message still names the file inside it.
        var (exitCode, _, error) = PerfCompareRunner.Run(_temp["base"], _temp["new"]);
        Assert.Equal(2, exitCode);
        Assert.Contains(truncated, error);
        Assert.Contains("truncated", error);
        Assert.DoesNotContain("   at ", error);
    }

    [Fact]
    public void NotABenchmarkReport_ExitCode2()
    {
        string good = new BdnJsonBuilder().Add(Forward, 1_000, 0.01, seed: 1).WriteTo(_temp["good-report-full.json"]);
        string other = _temp["other.json"];
        File.WriteAllText(other, "{\"hello\": 1}");
        var (exitCode, _, error) = PerfCompareRunner.Run(good, other);
        Assert.Equal(2, exitCode);
        Assert.Contains(other, error);
        Assert.Contains("Benchmarks", error);
    }

    [Fact]
    public void MissingPath_ExitCode2()
    {
        string good = new BdnJsonBuilder().Add(Forward, 1_000, 0.01, seed: 1).WriteTo(_temp["good-report-full.json"]);
        var (exitCode, _, error) = PerfCompareRunner.Run(good, _temp["nowhere"]);
        Assert.Equal(2, exitCode);
        Assert.Contains("nowhere", error);
    }

    [Fact]
    public void BadThreshold_ExitCode2()
    {
        string good = new BdnJsonBuilder().Add(Forward, 1_000, 0.01, seed: 1).WriteTo(_temp["good-report-full.json"]);
        var (exitCode, _, error) = PerfCompareRunner.Run(good, good, "--threshold", "five");
        Assert.Equal(2, exitCode);
        Assert.Contains("--threshold", error);
    }

    [Fact]
    public void Threshold_CanBeRaisedAboveTheChange()
    {
        Write(new BdnJsonBuilder().Add(Forward, 1_000_000, 0.01, seed: 1),
              new BdnJsonBuilder().Add(Forward, 1_200_000, 0.01, seed: 2));
        Assert.Equal(1, PerfCompareRunner.Run(_temp["base"], _temp["new"], "--threshold", "0.1").ExitCode);
        Assert.Equal(0, PerfCompareRunner.Run(_temp["base"], _temp["new"], "--threshold", "25%").ExitCode);
    }

    [Fact]
    public void FolderWithSeveralReports_IsMerged_AndMachineDifferencesWarn()
    {
        new BdnJsonBuilder().Add("Synthetic.Lstm.Forward", 1_000, 0.01, seed: 1)
            .WriteTo(_temp["base/lstm/results/Lstm-report-full.json"]);
        new BdnJsonBuilder().Add("Synthetic.Gru.Forward", 2_000, 0.01, seed: 2)
            .WriteTo(_temp["base/gru/results/Gru-report-full-compressed.json"], indented: false);
        new BdnJsonBuilder().Add("Synthetic.Lstm.Forward", 1_000, 0.01, seed: 3)
            .Add("Synthetic.Gru.Forward", 2_000, 0.01, seed: 4)
            .WriteTo(_temp["new/All-report-full.json"]);
        File.WriteAllText(_temp["base/machine.json"],
            """{"cpu": "Synthetic CPU @ 3.0GHz", "cores": "2", "mkl_version": "2024.1", "mkl_threading_layer": "sequential", "mkl_threads": "1", "dotnet_version": "10.0.0", "mklrnn_commit": "aaaaaaa"}""");
        File.WriteAllText(_temp["new/machine.json"],
            """{"cpu": "Synthetic CPU @ 3.0GHz", "cores": "2", "mkl_version": "2025.0", "mkl_threading_layer": "intel", "mkl_threads": "1", "dotnet_version": "10.0.0", "mklrnn_commit": "bbbbbbb"}""");

        ResultSet @base = ResultSetLoader.Load(_temp["base"]);
        Assert.Equal(2, @base.Files.Count);
        Assert.Equal(["Synthetic.Gru.Forward", "Synthetic.Lstm.Forward"], @base.Benchmarks.Select(b => b.FullName));
        Assert.Equal("2024.1", @base.Machine[MachineFacts.MklVersion]);
        Assert.Equal("Ubuntu 24.04 LTS (Noble Numbat)", @base.Machine[MachineFacts.Os]); // HostEnvironmentInfo fills in

        ComparisonReport report = PerfComparer.Compare(@base, ResultSetLoader.Load(_temp["new"]), ComparisonOptions.Default);
        Assert.Equal(2, report.Comparisons.Count);
        Assert.Empty(report.OnlyInBase);
        Assert.Empty(report.OnlyInNew);
        Assert.Equal(2, report.Warnings.Count);
        Assert.Contains(report.Warnings, w => w.StartsWith("mkl_version differs: base '2024.1', new '2025.0'"));
        Assert.Contains(report.Warnings, w => w.StartsWith("mkl_threading_layer differs"));
        Assert.True(report.Machine.Single(r => r.Key == MachineFacts.MklRnnCommit).Differs); // shown, no warning

        var (exitCode, output, _) = PerfCompareRunner.Run(_temp["base"], _temp["new"]);
        Assert.Equal(0, exitCode);
        Assert.Contains("Warning: mkl_version differs", output);
        Assert.Contains("bbbbbbb", output);
    }

    [Fact]
    public void WithoutMachineJson_HostEnvironmentInfoIsCompared()
    {
        Write(new BdnJsonBuilder { Cpu = "Intel Xeon Gold 6248", Cores = 40 }.Add(Forward, 1_000, 0.01, seed: 1),
              new BdnJsonBuilder { Cpu = "AMD EPYC 7763", Cores = 40 }.Add(Forward, 1_000, 0.01, seed: 2));
        ComparisonReport report = Compare(_temp["base"], _temp["new"]);
        string warning = Assert.Single(report.Warnings);
        Assert.Equal("cpu differs: base 'Intel Xeon Gold 6248', new 'AMD EPYC 7763'; timings may not be comparable",
            warning);
    }
}
