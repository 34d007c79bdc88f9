using MklRnn.IO;

namespace MklRnn.Training;

/// <summary>
/// An optimizer's state inside a safetensors checkpoint, beside the model: its tensors (1-D, named
/// <c>optimizer.*</c>) and its metadata (<c>optimizer.kind</c>, <c>optimizer.step</c>, ...), as
/// <see cref="Optimizer.SaveState"/> gives them. Written in name order, so a file does not depend on dictionary order.
/// </summary>
public static class OptimizerCheckpoint
{
    private const string TensorPrefix = "optimizer.";

    public static void Write(SafeTensorsWriter writer, Optimizer optimizer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(optimizer);
        var tensors = new SortedDictionary<string, float[]>(StringComparer.Ordinal);
        var metadata = new SortedDictionary<string, string>(StringComparer.Ordinal);
        optimizer.SaveState(tensors, metadata);
        foreach (var (name, values) in tensors) writer.Add(name, [values.Length], values);
        foreach (var (key, value) in metadata) writer.SetMetadata(key, value);
    }

    /// <summary>Restores the state saved by <see cref="Write"/>; a state that does not fit throws ArgumentException (see <see cref="Optimizer.LoadState"/>).</summary>
    public static void Read(SafeTensorsFile file, Optimizer optimizer)
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentNullException.ThrowIfNull(optimizer);
        var tensors = new Dictionary<string, float[]>(StringComparer.Ordinal);
        foreach (SafeTensorInfo t in file.Tensors)
            if (t.Name.StartsWith(TensorPrefix, StringComparison.Ordinal)) tensors[t.Name] = file.ReadFloat32(t.Name);
        optimizer.LoadState(tensors, file.Metadata);
    }
}
