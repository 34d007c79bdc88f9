using System.Diagnostics;

namespace MklRnn.Tests.Distributed;

/// <summary>
/// Runs the real CLI (mklrnn.dll beside the tests) under MPICH's mpirun: `Run(2, args)` for R identical ranks, or
/// `RunPerRank` for one argument list per rank (MPMD, 'A : B'). Bounded: the job is killed after a time limit.
/// </summary>
internal static class MpiJob
{
    public static readonly TimeSpan Limit = TimeSpan.FromSeconds(90);

    public static string Cli => Path.Combine(AppContext.BaseDirectory, "mklrnn.dll");

    public static (int ExitCode, string Output, string Error, TimeSpan Elapsed) Run(int ranks, params string[] args) =>
        RunPerRank(Enumerable.Repeat(args, ranks).ToArray());

    public static (int ExitCode, string Output, string Error, TimeSpan Elapsed) RunPerRank(params string[][] perRank)
    {
        var start = new ProcessStartInfo("mpirun") { RedirectStandardOutput = true, RedirectStandardError = true };
        for (int r = 0; r < perRank.Length; r++)
        {
            if (r > 0) start.ArgumentList.Add(":");
            foreach (string a in new[] { "-np", "1", "dotnet", Cli }.Concat(perRank[r])) start.ArgumentList.Add(a);
        }
        start.Environment["MKLRNN_ALLREDUCE_BUCKET_FLOATS"] = "1000"; // small buckets: tensors split over several all-reduces
        var clock = Stopwatch.StartNew();
        using Process process = Process.Start(start)!;
        Task<string> output = process.StandardOutput.ReadToEndAsync(), error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(Limit))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"mpirun did not finish within {Limit.TotalSeconds} s: {string.Join(" : ", perRank.Select(a => string.Join(' ', a)))}");
        }
        return (process.ExitCode, output.Result, error.Result, clock.Elapsed);
    }
}
