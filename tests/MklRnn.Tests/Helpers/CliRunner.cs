using System.CommandLine;
using MklRnn.Cli;

namespace MklRnn.Tests.Helpers;

/// <summary>Runs `mklrnn ARGS` in-process through the real command tree and exit-code rule, capturing its output.</summary>
internal static class CliRunner
{
    public static (int ExitCode, string Output, string Error) Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int exitCode = CommandLineApp.Invoke(args, new InvocationConfiguration { Output = output, Error = error });
        return (exitCode, output.ToString(), error.ToString());
    }
}
