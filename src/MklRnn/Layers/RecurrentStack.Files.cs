using MklRnn.IO;
using MklRnn.Threading;

namespace MklRnn.Layers;

/// <summary>Saving and loading a stack as safetensors: PyTorch parameter names, the config as metadata.</summary>
public sealed partial class RecurrentStack
{
    /// <summary>Writes the parameters (PyTorch names) and the config (metadata) atomically to a .safetensors file.</summary>
    public void Save(string path)
    {
        using CallGuard.Scope call = _guard.Enter(nameof(Save));
        var writer = new SafeTensorsWriter();
        foreach (var (key, value) in RnnConfigMetadata.ToMetadata(Config)) writer.SetMetadata(key, value);
        StateDict.Write(writer, this);
        writer.Save(path);
    }

    /// <summary>
    /// A stack built from a file's metadata (as written by <see cref="Save"/>, or a conformance case) and loaded
    /// with its weights. The metadata is checked against the header's tensor shapes before anything is built.
    /// </summary>
    public static RecurrentStack Load(string path)
    {
        SafeTensorsFile file = SafeTensorsFile.Read(path);
        RnnConfig config = RnnConfigMetadata.FromMetadata(file.Metadata, file.SourceName);
        StackTensors.RequireShapes(file, config);
        return Build(file, config, "");
    }

    /// <summary>
    /// A stack built from a plain PyTorch state_dict saved as safetensors (no metadata needed): the
    /// architecture is inferred from the tensor names and shapes under <paramref name="prefix"/> (e.g. "rnn."
    /// for a model's `self.rnn`; see <see cref="StackTensors.Infer"/>), then the weights load strictly (a
    /// tensor under the prefix the stack does not use is an error). <paramref name="nonlinearity"/>: "tanh"
    /// (default) or "relu", for a vanilla RNN only; <paramref name="linearBeforeReset"/>: the GRU form
    /// (PyTorch's by default); <paramref name="batchFirst"/>: the layout Forward will take.
    /// </summary>
    public static RecurrentStack FromStateDict(string path, string prefix = "", string? nonlinearity = null,
        bool linearBeforeReset = true, bool batchFirst = false)
    {
        SafeTensorsFile file = SafeTensorsFile.Read(path);
        RnnConfig config = StackTensors.Infer(file, prefix, nonlinearity, linearBeforeReset, batchFirst);
        return Build(file, config, prefix, StateDictMatch.Strict);
    }

    private static RecurrentStack Build(SafeTensorsFile file, RnnConfig config, string prefix, StateDictMatch match = StateDictMatch.RequireAll)
    {
        var stack = new RecurrentStack(config);
        try
        {
            StateDict.Read(file, stack, prefix, match);
            return stack;
        }
        catch
        {
            stack.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Loads weights into this stack from a PyTorch state_dict saved as safetensors (names under an optional
    /// prefix such as "rnn."). strict (default, as PyTorch's load_state_dict): every parameter present and
    /// no other tensor under the prefix, else an InvalidDataException listing them, and nothing is loaded.
    /// strict: false loads the parameters present and returns what was missing or unexpected. A stored
    /// shape that differs is an error either way.
    /// </summary>
    public StateDictMismatch LoadWeights(string path, string prefix = "", bool strict = true)
    {
        using CallGuard.Scope call = _guard.Enter(nameof(LoadWeights));
        return StateDict.Read(SafeTensorsFile.Read(path), this, prefix, strict ? StateDictMatch.Strict : StateDictMatch.Partial);
    }
}
