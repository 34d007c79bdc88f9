using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Exporters;
using BenchmarkDotNet.Exporters.Json;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Order;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Perfolizer.Horology;

namespace MklRnn.Perf;

/// <summary>
/// The one configuration every benchmark class runs with: full JSON export (raw measurements included, what
/// perf-compare reads), MemoryDiagnoser (bytes allocated per operation), categories, and either the full job
/// or --quick's short one. Benchmarks run in-process: MKL, the shim and MKL's thread pool are loaded once, and
/// no per-benchmark project is generated and built (minutes on a busy 2-core machine).
/// </summary>
public sealed class PerfConfig : ManualConfig
{
    public PerfConfig(PerfOptions options)
    {
        Job job = options.Quick
            ? Job.Default.WithId("Quick").WithLaunchCount(1).WithWarmupCount(2).WithIterationCount(5)
                .WithIterationTime(TimeInterval.FromMilliseconds(150))
            : Job.Default.WithId("Full").WithMinIterationCount(15).WithMaxIterationCount(40);
        AddJob(job.WithToolchain(InProcessEmitToolchain.Instance));
        AddDiagnoser(MemoryDiagnoser.Default);
        AddExporter(JsonExporter.Full, MarkdownExporter.GitHub);
        AddColumnProvider(DefaultColumnProviders.Instance);
        AddColumn(CategoriesColumn.Default);
        AddLogger(BenchmarkDotNet.Loggers.ConsoleLogger.Default);
        WithArtifactsPath(options.ArtifactsPath);
        WithOrderer(new DefaultOrderer(SummaryOrderPolicy.Declared));
        WithOptions(ConfigOptions.DisableLogFile);
        WithSummaryStyle(BenchmarkDotNet.Reports.SummaryStyle.Default.WithMaxParameterColumnWidth(30));
    }
}
