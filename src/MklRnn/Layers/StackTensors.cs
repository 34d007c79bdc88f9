using System.Text.RegularExpressions;
using MklRnn.IO;

namespace MklRnn.Layers;

/// <summary>
/// The tensors of a stack as a PyTorch state_dict names them (weight_ih_l0, bias_hh_l1_reverse, weight_hr_l0,
/// weight_peephole_l0), computed from a config without building the stack; and the reverse, a config inferred
/// from a file's tensor names and shapes. Both read only the safetensors header: no tensor data, no
/// allocation proportional to what the file claims. Mirrors <see cref="Cells.DirectionWeights"/>'s parameters
/// (StackTensorsTests checks the two agree).
/// </summary>
public static partial class StackTensors
{
    /// <summary>Every parameter of a stack of <paramref name="config"/>: name (under <paramref name="prefix"/>) and shape, in the stack's order.</summary>
    public static IEnumerable<(string Name, int[] Shape)> Expected(RnnConfig config, string prefix = "")
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate(); // bounds every size: the products below cannot overflow
        int G = config.GateCount, H = config.HiddenSize, Hout = config.OutputHiddenSize;
        for (int l = 0; l < config.NumLayers; l++)
            for (int d = 0; d < config.Directions; d++)
            {
                string suffix = $"_l{l}" + (d == 1 ? "_reverse" : "");
                yield return (prefix + "weight_ih" + suffix, [G * H, config.LayerInputSize(l)]);
                yield return (prefix + "weight_hh" + suffix, [G * H, Hout]);
                yield return (prefix + "bias_ih" + suffix, [G * H]);
                yield return (prefix + "bias_hh" + suffix, [G * H]);
                if (config.ProjSize > 0) yield return (prefix + "weight_hr" + suffix, [config.ProjSize, H]);
                if (config.Peephole) yield return (prefix + "weight_peephole" + suffix, [3, H]);
            }
    }

    /// <summary>
    /// Checks, from the header alone, that <paramref name="file"/> holds every tensor of a <paramref name="config"/>
    /// stack with its shape: an InvalidDataException listing what is missing or misshapen otherwise. Run it
    /// before building the stack, so metadata claiming 100,000 layers costs nothing.
    /// </summary>
    public static void RequireShapes(SafeTensorsFile file, RnnConfig config, string prefix = "")
    {
        ArgumentNullException.ThrowIfNull(file);
        // Cheap bound first: each layer and direction needs at least four tensors.
        long needed = 4L * config.NumLayers * config.Directions;
        if (needed > file.Tensors.Count)
            throw new InvalidDataException(
                $"{file.SourceName}: the architecture ({config.ModeName}, {config.NumLayers} layers, {config.Directions} directions) needs {needed} tensors, the file holds {file.Tensors.Count}");
        var problems = new List<string>();
        foreach (var (name, shape) in Expected(config, prefix))
        {
            if (!file.Contains(name)) problems.Add($"'{name}' {SafeTensorInfo.FormatShape(shape)} is missing");
            else if (!file[name].Shape.AsSpan().SequenceEqual(shape))
                problems.Add($"'{name}' has shape {file[name].ShapeText}, expected {SafeTensorInfo.FormatShape(shape)}");
        }
        if (problems.Count > 0)
            throw new InvalidDataException($"{file.SourceName}: the tensors do not fit the architecture ({config.ModeName}, input {config.InputSize}, hidden {config.HiddenSize}, {config.NumLayers} layers, {config.Directions} directions): "
                + StateDict.Summarize(problems));
    }

    [GeneratedRegex(@"^(weight_ih|weight_hh|bias_ih|bias_hh|weight_hr|weight_peephole)_l(\d{1,6})(_reverse)?$")]
    private static partial Regex ParameterName();

    /// <summary>
    /// The config of the stack whose state_dict is in <paramref name="file"/> under <paramref name="prefix"/>:
    /// layers and directions from the names, the cell from the gate multiple (rows of weight_ih / hidden size:
    /// 1 RNN, 3 GRU, 4 LSTM), projection from weight_hr, peepholes from weight_peephole. What names and shapes
    /// cannot tell comes from the arguments: the vanilla RNN's non-linearity ("tanh", PyTorch's default, or
    /// "relu"), the GRU form (PyTorch's, linear before reset, by default) and the batch layout.
    /// </summary>
    public static RnnConfig Infer(SafeTensorsFile file, string prefix = "", string? nonlinearity = null,
        bool linearBeforeReset = true, bool batchFirst = false)
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentNullException.ThrowIfNull(prefix);
        string source = file.SourceName;
        int layers = 0;
        bool reverse = false, projection = false, peephole = false;
        foreach (SafeTensorInfo t in file.Tensors)
        {
            if (!t.Name.StartsWith(prefix, StringComparison.Ordinal)) continue;
            Match m = ParameterName().Match(t.Name[prefix.Length..]);
            if (!m.Success) continue; // an unexpected tensor: strict loading names it
            layers = Math.Max(layers, int.Parse(m.Groups[2].Value) + 1);
            reverse |= m.Groups[3].Success;
            projection |= m.Groups[1].Value == "weight_hr";
            peephole |= m.Groups[1].Value == "weight_peephole";
        }
        if (layers == 0)
            throw new InvalidDataException($"{source}: no recurrent-layer tensor (weight_ih_l0, ...) under the prefix '{prefix}'"
                + (file.Tensors.Count > 0 ? $"; the first tensor is '{file.Tensors[0].Name}'" : ""));

        int[] ih = ShapeOf(file, prefix + "weight_ih_l0", 2);
        int[] hh = ShapeOf(file, prefix + "weight_hh_l0", 2);
        int hiddenOut = hh[1];
        int hidden = projection ? ShapeOf(file, prefix + "weight_hr_l0", 2)[1] : hiddenOut;
        if (hidden < 1 || ih[0] % hidden != 0)
            throw new InvalidDataException($"{source}: '{prefix}weight_ih_l0' has {ih[0]} rows, not a multiple of the hidden size {hidden}");
        CellKind cell = (ih[0] / hidden) switch
        {
            1 => nonlinearity switch
            {
                null or "tanh" => CellKind.RnnTanh,
                "relu" => CellKind.RnnRelu,
                _ => throw new ArgumentException($"nonlinearity must be \"tanh\" or \"relu\", got \"{nonlinearity}\"", nameof(nonlinearity)),
            },
            3 => CellKind.Gru,
            4 => CellKind.Lstm,
            int g => throw new InvalidDataException($"{source}: '{prefix}weight_ih_l0' has {g} x hidden rows; RNN has 1, GRU 3, LSTM 4"),
        };
        if (nonlinearity != null && cell is CellKind.Gru or CellKind.Lstm)
            throw new ArgumentException($"nonlinearity applies to a vanilla RNN; this state_dict is a {cell.ModeName()}", nameof(nonlinearity));
        var config = new RnnConfig(cell, ih[1], hidden, layers, reverse)
        {
            ProjSize = projection ? hiddenOut : 0,
            Peephole = peephole,
            LinearBeforeReset = linearBeforeReset,
            BatchFirst = batchFirst,
        };
        try
        {
            config.Validate();
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"{source}: the tensors under '{prefix}' describe an invalid stack: {e.Message}", e);
        }
        RequireShapes(file, config, prefix);
        return config;
    }

    private static int[] ShapeOf(SafeTensorsFile file, string name, int rank)
    {
        if (!file.Contains(name)) throw new InvalidDataException($"{file.SourceName}: tensor '{name}' is missing");
        int[] shape = file[name].Shape;
        if (shape.Length != rank)
            throw new InvalidDataException($"{file.SourceName}: tensor '{name}' has shape {file[name].ShapeText}, expected {rank} dimensions");
        return shape;
    }
}
