using System.Diagnostics;

namespace MklRnn.Tests;

/// <summary>
/// Starts the programs the tests run (dotnet, the CLI, mpirun) the same way everywhere: standard output and error
/// captured, standard input an empty pipe closed at once, and a time limit after which the whole process tree is
/// killed and the test fails with what the program had printed so far.
/// Standard input matters: MPICH's mpirun forwards its stdin to rank 0, and a launcher that inherits a terminal
/// while the test run is not the terminal's foreground job is stopped by SIGTTIN — a hang, not a failure
/// (pmodels/mpich#2022). Nothing these tests start reads its input.
/// </summary>
internal static class ChildProcess
{
    public readonly record struct Result(int ExitCode, string Output, string Error, TimeSpan Elapsed);

    /// <summary>Starts FILE ARGS; the caller may adjust the environment and working directory first through <paramref name="configure"/>.</summary>
    public static Process Start(string file, IEnumerable<string> args, Action<ProcessStartInfo>? configure = null)
    {
        var start = new ProcessStartInfo(file)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (string arg in args) start.ArgumentList.Add(arg);
        configure?.Invoke(start);
        Process process = Process.Start(start)!;
        process.StandardInput.Close();
        return process;
    }

    /// <summary>Runs FILE ARGS to completion within <paramref name="limit"/>; past it, kills the tree and throws with the output so far.</summary>
    public static Result Run(string file, IEnumerable<string> args, TimeSpan limit, Action<ProcessStartInfo>? configure = null)
    {
        string[] arguments = args.ToArray();
        var clock = Stopwatch.StartNew();
        using Process process = Start(file, arguments, configure);
        var output = new CapturedText(process.StandardOutput);
        var error = new CapturedText(process.StandardError);
        if (!process.WaitForExit(limit))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            throw new TimeoutException($"{file} {string.Join(' ', arguments)} did not finish within {limit.TotalSeconds} s; it had printed:\n"
                + $"{output.SoFar()}\n--- stderr ---\n{error.SoFar()}");
        }
        process.WaitForExit(); // the end of both streams
        return new Result(process.ExitCode, output.SoFar(), error.SoFar(), clock.Elapsed);
    }

    /// <summary>A stream read to its end in the background, readable at any moment (for a timeout's message).</summary>
    private sealed class CapturedText
    {
        private readonly System.Text.StringBuilder _text = new();
        private readonly Task _reading;

        public CapturedText(StreamReader reader) => _reading = Task.Run(async () =>
        {
            var buffer = new char[4096];
            int n;
            while ((n = await reader.ReadAsync(buffer)) > 0)
                lock (_text) _text.Append(buffer, 0, n);
        });

        public string SoFar()
        {
            _reading.Wait(TimeSpan.FromSeconds(5)); // after exit the pipe closes at once; after a kill, as soon as the tree is gone
            lock (_text) return _text.ToString();
        }
    }
}
