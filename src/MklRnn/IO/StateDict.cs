namespace MklRnn.IO;

/// <summary>
/// Parameters to and from safetensors under PyTorch names (a state_dict): `prefix + parameter.Name`.
/// Loading reports every problem at once. By default every parameter must be in the file, with its shape,
/// and tensors the module does not use are ignored (a file holding a bigger model's state loads its part);
/// <see cref="StateDictMatch.Strict"/> also refuses unexpected tensors under the prefix (PyTorch's
/// load_state_dict(strict=True)); <see cref="StateDictMatch.Partial"/> loads what is there (strict=False).
/// A stored shape that differs is always an error.
/// </summary>
public static class StateDict
{
    public static void Write(SafeTensorsWriter writer, IParameterized module, string prefix = "")
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(module);
        foreach (Parameter p in module.Parameters) writer.Add(prefix + p.Name, p.Shape, p.Values);
    }

    /// <summary>
    /// Loads a model built for this file: its tensors (every one required), returning the model; on any failure the
    /// model is disposed before the exception goes on, so a failed load leaks no native memory.
    /// </summary>
    public static T ReadInto<T>(SafeTensorsFile file, T model) where T : IParameterized, IDisposable
    {
        try
        {
            Read(file, model);
            return model;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>Loads the module's parameters; returns the names missing from the file and the unexpected ones (under the prefix).</summary>
    public static StateDictMismatch Read(SafeTensorsFile file, IParameterized module, string prefix = "", StateDictMatch match = StateDictMatch.RequireAll)
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentNullException.ThrowIfNull(module);
        ArgumentNullException.ThrowIfNull(prefix);
        var wanted = new HashSet<string>(StringComparer.Ordinal);
        var missing = new List<string>();
        var problems = new List<string>();
        foreach (Parameter p in module.Parameters)
        {
            string name = prefix + p.Name;
            wanted.Add(name);
            if (!file.Contains(name))
            {
                missing.Add(name);
                if (match != StateDictMatch.Partial) problems.Add($"'{name}' {p.ShapeText} is missing");
            }
            else if (!file[name].Shape.AsSpan().SequenceEqual(p.Shape))
            {
                problems.Add($"'{name}' has shape {file[name].ShapeText}, expected {p.ShapeText}");
            }
        }
        var unexpected = file.Tensors.Select(t => t.Name)
            .Where(n => n.StartsWith(prefix, StringComparison.Ordinal) && !wanted.Contains(n)).ToList();
        if (match == StateDictMatch.Strict)
            problems.AddRange(unexpected.Select(n => $"'{n}' {file[n].ShapeText} is unexpected"));
        if (problems.Count > 0)
            throw new InvalidDataException($"{file.SourceName}: the state_dict does not fit the module: {Summarize(problems)}"
                + (match == StateDictMatch.Strict ? " (strict: pass strict: false to load only the tensors that match)" : ""));
        // Every check passed: only now is anything copied, so a refused file leaves the module as it was.
        foreach (Parameter p in module.Parameters)
            if (file.Contains(prefix + p.Name)) file.ReadFloat32(prefix + p.Name, p.Data, p.Shape);
        return new StateDictMismatch(missing, unexpected);
    }

    /// <summary>The first problems, joined, and how many more (a file may claim thousands).</summary>
    internal static string Summarize(IReadOnlyList<string> problems, int shown = 40) =>
        string.Join("; ", problems.Take(shown)) + (problems.Count > shown ? $"; and {problems.Count - shown} more" : "");
}
