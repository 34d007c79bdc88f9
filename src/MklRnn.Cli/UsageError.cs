using MklRnn.Tooling;

namespace MklRnn.Cli;

/// <summary>A usage or input error found by a verb after parsing (e.g. two flags that exclude each other): exit 2.</summary>
internal static class UsageError
{
    public static CommandFailure Because(string message) => new(ExitCodes.Usage, message);
}
