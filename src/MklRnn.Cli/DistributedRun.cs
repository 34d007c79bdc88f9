using MklRnn.Distributed;

namespace MklRnn.Cli;

/// <summary>
/// Runs a verb's work as one rank of an MPI job (`--distributed`). Any failure on any rank ends the whole job
/// (MPI_Abort) after one line naming the rank: a rank that returned alone would leave the others waiting in
/// an all-reduce forever. Checkpoints are written atomically by rank 0 only, so an abort never corrupts one.
/// </summary>
internal static class DistributedRun
{
    /// <summary>Exit codes: the verbs' "failed" and "usage or input error".</summary>
    private const int Failed = 1, UsageError = 2;

    public static int Run(string verb, TextWriter error, Func<ProcessGroup, int> work)
    {
        if (!ProcessGroup.LaunchedByMpi)
        {
            error.WriteLine($"{verb}: error: --distributed: this process was not started by an MPI launcher; start it as "
                + $"mpirun -np 2 dotnet mklrnn.dll {verb.Split(' ')[^1]} --distributed ... (README.md, 'Scale out')");
            return UsageError;
        }
        ProcessGroup group;
        try
        {
            group = ProcessGroup.StartMpi();
        }
        catch (DistributedException e)
        {
            error.WriteLine($"{verb}: error: --distributed: {e.Message}");
            return UsageError;
        }
        int code = Failed;
        try
        {
            code = work(group);
        }
        catch (Exception e)
        {
            // Expected failures (bad input, unreadable files) are one line; anything else keeps its stack trace.
            string message = e is ArgumentException or InvalidDataException or IOException or UnauthorizedAccessException
                || e is MklRnn.CharLm.CharLmException || e is DistributedException
                ? e.Message : e.ToString();
            error.WriteLine($"{verb}: error: rank {group.Rank} of {group.Size}: {message}");
            error.Flush();
            group.Abort(Failed);
        }
        group.Dispose();
        return code;
    }
}
