using BenchmarkDotNet.Running;

// MklRnn's BenchmarkDotNet suite: `dotnet run -c Release --project perf/MklRnn.Perf -- --filter '*'`.
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
