using System.CommandLine;
using MklRnn.Cli;

namespace MklRnn.Tests.PerfCompare;

/// <summary>Runs `mklrnn perf-compare ...` in-process through the real command tree, capturing its output.</summary>
internal static class PerfCompareRunner
{
    public static (int ExitCode, string Output, string Error) Run(params string[] args)
    {
        var root = new RootCommand("test");
        foreach (Command verb in Verbs.All())
            root.Subcommands.Add(verb);
        var output = new StringWriter();
        var error = new StringWriter();
        int exitCode = root.Parse(["perf-compare", .. args])
            .Invoke(new InvocationConfiguration { Output = output, Error = error });
        return (exitCode, output.ToString(), error.ToString());
    }
}
