namespace MklRnn.Cli;

/// <summary>A training run stopped because its loss or gradients stopped being finite; nothing was saved (exit 1).</summary>
internal sealed class TrainingDivergedException(string message) : Exception(message);
