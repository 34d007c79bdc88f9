namespace MklRnn.Tests.Distributed;

/// <summary>
/// Runs the real CLI (mklrnn.dll beside the tests) under MPICH's mpirun: `Run(2, args)` for R identical ranks, or
/// `RunPerRank` for one argument list per rank (MPMD, 'A : B'). Bounded: the job is killed after a time limit.
/// </summary>
internal static class MpiJob
{
    public static readonly TimeSpan Limit = TimeSpan.FromSeconds(90);

    public static string Cli => Path.Combine(AppContext.BaseDirectory, "mklrnn.dll");

    public static ChildProcess.Result Run(int ranks, params string[] args) =>
        RunPerRank(Enumerable.Repeat(args, ranks).ToArray());

    public static ChildProcess.Result RunPerRank(params string[][] perRank)
    {
        var args = new List<string>();
        for (int r = 0; r < perRank.Length; r++)
        {
            if (r > 0) args.Add(":");
            args.AddRange(new[] { "-np", "1", "dotnet", Cli }.Concat(perRank[r]));
        }
        // Small buckets: tensors split over several all-reduces.
        return ChildProcess.Run("mpirun", args, Limit, start => start.Environment["MKLRNN_ALLREDUCE_BUCKET_FLOATS"] = "1000");
    }
}
