using BenchmarkDotNet.Running;
using MklRnn.Perf;
using MklRnn.Tooling.Bench;

// MklRnn's BenchmarkDotNet suite. Usually run through `./build.sh perf [--quick]` (mklrnn perf-run), or directly:
//   dotnet perf/MklRnn.Perf/bin/Release/net10.0/MklRnn.Perf.dll [--quick] [--artifacts DIR] [--filter '*Layer*']
// --quick: short job and a subset of sizes; --artifacts: where results/*-report-full.json and machine.json go.
// Other arguments go to BenchmarkDotNet (--filter defaults to every benchmark).
var options = PerfOptions.Parse(args);
PerfOptions.Current = options;
MachineJson.Write(options);
var summaries = BenchmarkSwitcher.FromAssembly(typeof(PerfConfig).Assembly)
    .Run(options.BenchmarkDotNetArgs, new PerfConfig(options));
MachineJson.Write(options, BenchmarkPrecisions.Describe(summaries.SelectMany(s => s.BenchmarksCases).Select(c => c.Descriptor.WorkloadMethod)));
return summaries.Any(s => s.HasCriticalValidationErrors || s.Reports.Any(r => !r.Success)) ? 1 : 0;
