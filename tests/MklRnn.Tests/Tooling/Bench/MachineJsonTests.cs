using System.Text.Json;
using MklRnn.Tooling.PerfCompare;

namespace MklRnn.Tests.Tooling.Bench;

public class MachineJsonTests
{
    [Fact]
    public void MklRuntimeFactsRoundTripThroughPerfComparesReader()
    {
        IReadOnlyDictionary<string, string> facts = MklRuntime.MachineFacts();
        // Every fact perf-compare checks for comparability is recorded, under the key it reads.
        foreach (string key in MachineFacts.MustMatch)
            Assert.False(string.IsNullOrWhiteSpace(facts.GetValueOrDefault(key)), $"no {key}");
        Assert.Equal(Environment.ProcessorCount.ToString(), facts[MachineFacts.Cores]);
        Assert.Matches(@"^\d{4}", facts[MachineFacts.MklVersion]);
        Assert.Contains(facts[MachineFacts.MklThreadingLayer], new[] { "intel", "gnu", "tbb", "sequential" });

        using var folder = new TempFolder();
        string file = folder[MachineJsonReader.FileName];
        // The perf suite writes it this way (perf/MklRnn.Perf/MachineJson.cs): a flat object of strings.
        File.WriteAllText(file, JsonSerializer.Serialize(new SortedDictionary<string, string>(facts.ToDictionary())));
        MachineFacts read = MachineJsonReader.Read(file);
        Assert.Equal(facts.Count, read.Values.Count);
        foreach (var (key, value) in facts)
            Assert.Equal(value, read[key]);
    }

    [Fact]
    public void SetThreadsIsWhatMklReports()
    {
        int before = MklRuntime.MaxThreads;
        try
        {
            MklRuntime.SetThreads(1);
            Assert.Equal(1, MklRuntime.MaxThreads);
            Assert.Throws<ArgumentOutOfRangeException>(() => MklRuntime.SetThreads(0));
        }
        finally
        {
            MklRuntime.SetThreads(before);
        }
    }
}
