namespace MklRnn.Interop;

/// <summary>
/// A native library could not be loaded or used: the message lists every path tried and how to fix it.
/// </summary>
public sealed class MklRnnNativeException : Exception
{
    public MklRnnNativeException(string message) : base(message) { }
    public MklRnnNativeException(string message, Exception inner) : base(message, inner) { }
}
