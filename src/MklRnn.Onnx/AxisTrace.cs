using MklRnn.Onnx.Proto;

namespace MklRnn.Onnx;

/// <summary>What one axis of a tensor derived from a recurrent node's Y or Y_h holds.</summary>
internal enum AxisRole
{
    /// <summary>T, every step.</summary>
    Time,
    /// <summary>The time axis cut to its last step (size 1).</summary>
    LastStep,
    /// <summary>ONNX's num_directions axis (size D).</summary>
    Direction,
    /// <summary>N.</summary>
    Batch,
    /// <summary>H of one direction.</summary>
    Hidden,
    /// <summary>Direction and hidden merged direction-major (D·H): the stack's output row, forward half first.</summary>
    Features,
    /// <summary>An inserted axis of size 1.</summary>
    One,
}

/// <summary>
/// A tensor traced back to a recurrent node's output: which node and output (0 = Y, 1 = Y_h), the roles of its
/// axes after the glue, and the Slice/Gather node that took Y's last step, if one did.
/// </summary>
internal sealed record TracedTensor(NodeProto Source, int Output, AxisRole[] Axes, NodeProto? LastStepTaker)
{
    public string Describe() => $"({string.Join(", ", Axes)}) of {(Output == 0 ? "Y" : "Y_h")} of node '{Source.Name}'";
}

/// <summary>
/// Follows the axes of a recurrent node's Y (T, D, N, H) or Y_h (D, N, H) through the glue exporters put after it
/// (Identity, Cast, Transpose, Squeeze, Unsqueeze, Reshape [0, ..., -1], Slice or Gather of the last time step), so
/// the importer knows what a consumer reads: every step, or the final state. Hand-written because it is the
/// whole of the shape arithmetic the importer needs (no ONNX shape-inference library exists for .NET); what it
/// does not understand is an error naming the node and op, never a guess.
/// </summary>
internal sealed class AxisTrace(
    IReadOnlyDictionary<string, NodeProto> producers, IReadOnlyDictionary<string, TensorProto> constants, string? folder)
{
    private static readonly HashSet<string> Followed = ["Identity", "Cast", "Transpose", "Squeeze", "Unsqueeze", "Reshape", "Slice", "Gather"];

    /// <summary>Traces tensor back to the recurrent node it comes from; consumer names the reader for errors.</summary>
    public TracedTensor Trace(string tensor, string consumer)
    {
        var path = new List<NodeProto>();
        string name = tensor;
        NodeProto? source;
        while (true)
        {
            if (!producers.TryGetValue(name, out source))
                throw new OnnxFormatException($"{consumer} reads '{tensor}', which does not come from a recurrent node (it starts at '{name}')");
            if (source.OpType is "LSTM" or "GRU" or "RNN") break;
            if (path.Count > producers.Count) throw new OnnxFormatException($"tensor '{tensor}': the graph has a cycle");
            if (!Followed.Contains(source.OpType))
                throw Error(source, $"sits between a recurrent node and {consumer}; only {string.Join(", ", Followed)} are understood there");
            path.Add(source);
            name = source.Input[0];
        }
        int output = source.Output.IndexOf(name);
        if (output == 2) throw Error(source, $"its cell state Y_c feeds {consumer}; only Y or Y_h can");
        RecurrentNodeAttributes attributes = RecurrentNodeAttributes.Parse(source);
        var axes = (output, attributes.Layout) switch
        {
            (0, 0) => new List<AxisRole> { AxisRole.Time, AxisRole.Direction, AxisRole.Batch, AxisRole.Hidden },
            (0, _) => [AxisRole.Batch, AxisRole.Time, AxisRole.Direction, AxisRole.Hidden],
            (_, 0) => [AxisRole.Direction, AxisRole.Batch, AxisRole.Hidden],
            _ => [AxisRole.Batch, AxisRole.Direction, AxisRole.Hidden],
        };
        NodeProto? lastStep = null;
        path.Reverse();
        foreach (NodeProto node in path)
            Apply(node, axes, attributes, ref lastStep);
        // With one direction, H is already the stack's output row (D·H = H).
        return new TracedTensor(source, output, axes.Select(r => r == AxisRole.Hidden && attributes.Directions == 1 ? AxisRole.Features : r).ToArray(), lastStep);
    }

    private void Apply(NodeProto node, List<AxisRole> axes, RecurrentNodeAttributes source, ref NodeProto? lastStep)
    {
        int directions = source.Directions;
        // Axes of size one whatever the input: an inserted axis, the taken last step, a single direction.
        bool SizeOne(AxisRole r) => r is AxisRole.One or AxisRole.LastStep || (r == AxisRole.Direction && directions == 1);
        switch (node.OpType)
        {
            case "Identity":
                return;
            case "Cast":
                if (Attribute(node, "to")?.I != (int)TensorProto.Types.DataType.Float) throw Error(node, "casts the recurrent output to a type other than FLOAT");
                return;
            case "Transpose":
            {
                long[] perm = Attribute(node, "perm")?.Ints.ToArray() ?? Enumerable.Range(0, axes.Count).Reverse().Select(i => (long)i).ToArray();
                if (perm.Length != axes.Count || perm.Order().Select(p => (int)p).SequenceEqual(Enumerable.Range(0, axes.Count)) == false)
                    throw Error(node, $"perm [{string.Join(", ", perm)}] is not a permutation of {axes.Count} axes");
                AxisRole[] before = axes.ToArray();
                for (int i = 0; i < perm.Length; i++) axes[i] = before[perm[i]];
                return;
            }
            case "Squeeze":
            {
                long[] which = Axes(node, 1) ?? throw Error(node, "has no axes (which axes go would depend on the batch size at run time)");
                foreach (int a in Normalized(node, which, axes.Count).OrderDescending())
                {
                    if (!SizeOne(axes[a])) throw Error(node, $"squeezes axis {a} ({axes[a]}), which is not of size one");
                    axes.RemoveAt(a);
                }
                return;
            }
            case "Unsqueeze":
            {
                long[] which = Axes(node, 1) ?? throw Error(node, "has no axes");
                foreach (int a in Normalized(node, which, axes.Count + which.Length).Order()) axes.Insert(a, AxisRole.One);
                return;
            }
            case "Reshape":
                Reshape(node, axes, directions, source.HiddenSize);
                return;
            case "Slice":
                Slice(node, axes, SizeOne, ref lastStep);
                return;
            case "Gather":
            {
                int a = Normalized(node, [Attribute(node, "axis")?.I ?? 0], axes.Count)[0];
                TensorProto indices = Constant(node, 1, "indices");
                long[] index = OnnxTensors.ReadInt64(indices, folder);
                if (index.Length != 1 || index[0] is not (-1 or 0))
                    throw Error(node, $"gathers [{string.Join(", ", index)}] of axis {a} ({axes[a]}); only the last time step (index -1) is understood");
                if (axes[a] == AxisRole.Time && index[0] == -1) lastStep = node;
                else if (!SizeOne(axes[a])) throw Error(node, $"gathers index {index[0]} of axis {a} ({axes[a]}); only the last time step (index -1) is understood");
                if (indices.Dims.Count == 0) axes.RemoveAt(a);
                else axes[a] = axes[a] == AxisRole.Time ? AxisRole.LastStep : axes[a];
                return;
            }
        }
    }

    /// <summary>Reshape to [0, ..., 0, -1] (or the merged width): leading axes kept, the rest merged into one, which must be (D, H) or H.</summary>
    private void Reshape(NodeProto node, List<AxisRole> axes, int directions, int hidden)
    {
        if (Attribute(node, "allowzero")?.I is > 0) throw Error(node, "allowzero = 1 is not understood");
        long[] shape = OnnxTensors.ReadInt64(Constant(node, 1, "shape"), folder);
        int kept = shape.TakeWhile(s => s == 0).Count();
        if (kept != shape.Length - 1 || kept >= axes.Count)
            throw Error(node, $"shape [{string.Join(", ", shape)}] is not [0, ..., 0, -1] (leading axes kept, the rest merged)");
        AxisRole[] merged = axes.Skip(kept).Where(r => r is not (AxisRole.One or AxisRole.LastStep)).ToArray();
        AxisRole result = merged switch
        {
            [AxisRole.Hidden] or [AxisRole.Direction, AxisRole.Hidden] or [AxisRole.Features] => directions == 1 ? AxisRole.Hidden : AxisRole.Features,
            _ => throw Error(node, $"merges ({string.Join(", ", axes.Skip(kept))}) into one axis; only (direction, hidden) in that order is a stack's output row"),
        };
        if (merged is [AxisRole.Hidden] && directions == 2) throw Error(node, "merges the hidden axis alone while two directions remain");
        long width = (long)(result == AxisRole.Features ? directions : 1) * hidden;
        if (shape[^1] != -1 && shape[^1] != width) throw Error(node, $"last dimension {shape[^1]} is neither -1 nor the merged width {width}");
        axes.RemoveRange(kept, axes.Count - kept);
        axes.Add(result);
    }

    private void Slice(NodeProto node, List<AxisRole> axes, Func<AxisRole, bool> sizeOne, ref NodeProto? lastStep)
    {
        // Opset 10+: starts, ends, axes, steps are inputs; before: attributes.
        long[] starts = Axes(node, 1, "starts") ?? throw Error(node, "has no starts");
        long[] ends = Axes(node, 2, "ends") ?? throw Error(node, "has no ends");
        long[] which = Axes(node, 3, "axes") ?? Enumerable.Range(0, starts.Length).Select(i => (long)i).ToArray();
        long[] steps = (node.Input.Count > 4 && node.Input[4].Length > 0 ? Axes(node, 4) : null) ?? Enumerable.Repeat(1L, starts.Length).ToArray();
        if (starts.Length != ends.Length || starts.Length != which.Length || steps.Length != starts.Length)
            throw Error(node, "starts, ends, axes and steps differ in length");
        int[] normalized = Normalized(node, which, axes.Count);
        for (int i = 0; i < normalized.Length; i++)
        {
            int a = normalized[i];
            bool toTheEnd = ends[i] >= int.MaxValue;
            if (axes[a] == AxisRole.Time && starts[i] == -1 && toTheEnd && steps[i] == 1)
            {
                axes[a] = AxisRole.LastStep;
                lastStep = node;
            }
            else if (!(sizeOne(axes[a]) && starts[i] is 0 or -1 && (toTheEnd || ends[i] >= 1) && steps[i] == 1))
                throw Error(node, $"slices axis {a} ({axes[a]}) [{starts[i]}, {ends[i]}) step {steps[i]}; only the last time step (starts -1, ends past the end) is understood");
        }
    }

    /// <summary>Axes-like int64 values: the constant input at index, or (before opsets 10 and 13) the attribute.</summary>
    private long[]? Axes(NodeProto node, int input, string attribute = "axes")
    {
        if (input < node.Input.Count && node.Input[input].Length > 0)
            return OnnxTensors.ReadInt64(Constant(node, input, attribute), folder);
        return Attribute(node, attribute)?.Ints.ToArray();
    }

    private TensorProto Constant(NodeProto node, int input, string what) =>
        input < node.Input.Count && constants.TryGetValue(node.Input[input], out TensorProto? t) ? t
            : throw Error(node, $"its {what} is not a constant");

    private static int[] Normalized(NodeProto node, long[] axes, int rank) =>
        axes.Select(a => a >= -rank && a < rank ? (int)(a < 0 ? a + rank : a) : throw Error(node, $"axis {a} is out of range for rank {rank}")).ToArray();

    private static AttributeProto? Attribute(NodeProto node, string name) => node.Attribute.FirstOrDefault(a => a.Name == name);

    private static OnnxFormatException Error(NodeProto node, string message) => new($"node '{node.Name}' ({node.OpType}): {message}");
}
