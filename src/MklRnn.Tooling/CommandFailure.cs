namespace MklRnn.Tooling;

/// <summary>
/// A tool command that cannot complete, with the exit code its protocol names (e.g. the anchors harness's 3 =
/// implausible outputs, 4 = unsupported cell). The CLI prints the message as its one error line and exits with the code.
/// </summary>
public sealed class CommandFailure(int exitCode, string message) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}
