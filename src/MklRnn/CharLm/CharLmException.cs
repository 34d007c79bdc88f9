namespace MklRnn.CharLm;

/// <summary>A user error of the character LM verbs (bad text, checkpoint or prompt): printed as one line, no stack trace.</summary>
public sealed class CharLmException(string message, Exception? inner = null) : Exception(message, inner);
