using MklRnn.Distributed;

namespace MklRnn.Cli;

/// <summary>
/// Runs a verb's work as one rank of an MPI job (`--distributed`). Any failure on any rank ends the whole job
/// (MPI_Abort) after one line naming the rank: a rank that returned alone would leave the others waiting in
/// an all-reduce forever. Checkpoints are written atomically by rank 0 only, so an abort never corrupts one.
/// </summary>
internal static class DistributedRun
{
    public static int Run(string verb, TextWriter error, Func<ProcessGroup, int> work)
    {
        if (!ProcessGroup.LaunchedByMpi)
            throw UsageError.Because("--distributed: this process was not started by an MPI launcher; start it as "
                + $"mpirun -np 2 dotnet mklrnn.dll {verb.Split(' ')[^1]} --distributed ... (README.md, 'Scale out')");
        ProcessGroup group;
        try
        {
            group = ProcessGroup.StartMpi();
        }
        catch (DistributedException e)
        {
            throw UsageError.Because($"--distributed: {e.Message}");
        }
        int code = ExitCodes.Failed;
        try
        {
            code = work(group);
        }
        catch (Exception e)
        {
            // Not rethrown: this rank must abort the job (the others would wait in an all-reduce forever).
            FailureReport.Line(verb, $"rank {group.Rank} of {group.Size}: {FailureReport.MessageOf(e)}", error);
            error.Flush();
            group.Abort(ExitCodes.Failed);
        }
        group.Dispose();
        return code;
    }
}
