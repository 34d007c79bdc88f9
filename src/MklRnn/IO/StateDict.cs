namespace MklRnn.IO;

/// <summary>
/// Parameters to and from safetensors under PyTorch names (a state_dict): `prefix + parameter.Name`.
/// Loading checks every expected tensor exists with the expected shape; tensors the module does not
/// use are ignored, so a file holding a bigger model's state loads its part.
/// </summary>
public static class StateDict
{
    public static void Write(SafeTensorsWriter writer, IParameterized module, string prefix = "")
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(module);
        foreach (Parameter p in module.Parameters) writer.Add(prefix + p.Name, p.Shape, p.Values);
    }

    public static void Read(SafeTensorsFile file, IParameterized module, string prefix = "")
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentNullException.ThrowIfNull(module);
        foreach (Parameter p in module.Parameters)
        {
            string name = prefix + p.Name;
            if (!file.Contains(name))
                throw new InvalidDataException($"{file.SourceName}: tensor '{name}' {p.ShapeText} is missing");
            file.ReadFloat32(name, p.Data, p.Shape);
        }
    }
}
