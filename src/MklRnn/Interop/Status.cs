namespace MklRnn.Interop;

/// <summary>Translates the C shim's status codes into exceptions, in one place.</summary>
internal static class Status
{
    public const int Ok = 0;
    public const int BadArgument = 1;

    public static void ThrowIfFailed(int status, string function = "")
    {
        if (status == Ok) return;
        throw status switch
        {
            // The managed side validates shapes first, so this is a bug in MklRnn, not bad user input.
            BadArgument => new InvalidOperationException($"MklRnn native kernel {function} rejected its arguments (internal error)"),
            _ => new MklRnnNativeException($"MklRnn native kernel {function} returned unknown status {status}"),
        };
    }
}
