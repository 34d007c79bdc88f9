namespace MklRnn.Tests.Tooling.PerfCompare;

/// <summary>Runs `mklrnn perf-compare ...` in-process (<see cref="CliRunner"/>).</summary>
internal static class PerfCompareRunner
{
    public static (int ExitCode, string Output, string Error) Run(params string[] args) => CliRunner.Run(["perf-compare", .. args]);
}
