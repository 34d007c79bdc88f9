namespace MklRnn;

/// <summary>Anything with trainable parameters: an RNN stack, a head, an embedding, a whole model.</summary>
public interface IParameterized
{
    /// <summary>The parameters in a stable order (the order optimizers and checkpoints use).</summary>
    IReadOnlyList<Parameter> Parameters { get; }
}
