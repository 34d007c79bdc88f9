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

    /// <summary>A stack built from a file's metadata (as written by <see cref="Save"/>, or a conformance case) and loaded with its weights.</summary>
    public static RecurrentStack Load(string path)
    {
        SafeTensorsFile file = SafeTensorsFile.Read(path);
        var stack = new RecurrentStack(RnnConfigMetadata.FromMetadata(file.Metadata, file.SourceName));
        try
        {
            StateDict.Read(file, stack);
            return stack;
        }
        catch
        {
            stack.Dispose();
            throw;
        }
    }

    /// <summary>Loads weights into this stack from a PyTorch state_dict saved as safetensors (names under an optional prefix such as "rnn.").</summary>
    public void LoadWeights(string path, string prefix = "")
    {
        using CallGuard.Scope call = _guard.Enter(nameof(LoadWeights));
        StateDict.Read(SafeTensorsFile.Read(path), this, prefix);
    }
}
