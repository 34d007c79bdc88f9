namespace MklRnn.Tests.Packaging;

/// <summary>Runs a program to completion with a time limit, without MklRnn's loader variables (so only the packaged libraries can be found).</summary>
internal static class ExternalProcess
{
    public static (int ExitCode, string Output, string Error) Run(string file, IEnumerable<string> args, string workingDirectory,
        IReadOnlyDictionary<string, string>? environment = null, int timeoutSeconds = 240)
    {
        var result = ChildProcess.Run(file, args, TimeSpan.FromSeconds(timeoutSeconds), start =>
        {
            start.WorkingDirectory = workingDirectory;
            foreach (string variable in new[] { "MKLRNN_NATIVE_PATH", "MKLRNN_MKL_INTEL_CPU", "MSBuildExtensionsPath", "MSBuildSDKsPath", "MSBUILD_EXE_PATH" })
                start.Environment.Remove(variable);
            start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
            start.Environment["DOTNET_NOLOGO"] = "1";
            foreach (var (key, value) in environment ?? new Dictionary<string, string>()) start.Environment[key] = value;
        });
        return (result.ExitCode, result.Output, result.Error);
    }

    /// <summary>Runs `dotnet ARGS` and fails the test with its output when it exits non-zero.</summary>
    public static string Dotnet(string workingDirectory, IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        var (code, output, error) = Run("dotnet", args, workingDirectory, environment);
        Assert.True(code == 0, $"dotnet {string.Join(' ', args)} exited {code}\n{output}\n{error}");
        return output;
    }
}
