namespace MklRnn.Onnx;

/// <summary>An IOException (as InvalidDataException, which is sealed): an .onnx file that cannot be read or mapped to a recurrent stack; the message names the node, tensor or attribute.</summary>
public sealed class OnnxFormatException : IOException
{
    public OnnxFormatException(string message) : base(message) { }
    public OnnxFormatException(string message, Exception inner) : base(message, inner) { }
}
