using MklRnn.Onnx.Proto;

namespace MklRnn.Onnx;

/// <summary>What one axis of a tensor derived from a recurrent node's Y or Y_h holds.</summary>
internal enum AxisRole
{
    /// <summary>T, every step.</summary>
    Time,
    /// <summary>The time axis cut to one step (size 1; <see cref="TracedPart.Step"/> says which).</summary>
    Step,
    /// <summary>ONNX's num_directions axis (size D).</summary>
    Direction,
    /// <summary>N.</summary>
    Batch,
    /// <summary>H of one direction.</summary>
    Hidden,
    /// <summary>Direction and hidden merged direction-major (D·H): the stack's output row, forward half first.</summary>
    Features,
    /// <summary>An axis of size 1 (inserted, or one direction selected out of two).</summary>
    One,
}

/// <summary>Which time step a Slice or Gather took out of Y.</summary>
internal enum TakenStep { None, First, Last }

/// <summary>
/// One strand of a traced tensor: the direction a Slice/Gather selected out of two (null: not selected), and the
/// time step taken out of Y with the node that took it.
/// </summary>
internal sealed record TracedPart(int? Direction, TakenStep Step, NodeProto? StepTaker);

/// <summary>
/// A tensor traced back to a recurrent node's output: which node and output (0 = Y, 1 = Y_h), the roles of its axes
/// after the glue, and its parts: one, or the two directions a Concat put side by side (forward first).
/// </summary>
internal sealed record TracedTensor(NodeProto Source, int Output, AxisRole[] Axes, TracedPart[] Parts)
{
    public string Describe() => $"({string.Join(", ", Axes)}) of {(Output == 0 ? "Y" : "Y_h")} of node '{Source.Name}'";
}

/// <summary>
/// Follows the axes of a recurrent node's Y (T, D, N, H) or Y_h (D, N, H) through the glue exporters put after it
/// (Identity, Cast, Transpose, Squeeze, Unsqueeze, Reshape [0, ..., -1], Slice or Gather of one time step or one
/// direction, Concat of the two directions, as tf2onnx writes Keras' Bidirectional), so the importer knows what a
/// consumer reads: every step, or particular steps of particular directions. Hand-written because it is the whole
/// of the shape arithmetic the importer needs (no ONNX shape-inference library exists for .NET); what it does not
/// understand is an error naming the node and op, never a guess.
/// </summary>
internal sealed class AxisTrace(
    IReadOnlyDictionary<string, NodeProto> producers, IReadOnlyDictionary<string, TensorProto> constants, string? folder)
{
    private static readonly HashSet<string> Followed = ["Identity", "Cast", "Transpose", "Squeeze", "Unsqueeze", "Reshape", "Slice", "Gather", "Concat"];

    /// <summary>Traces tensor back to the recurrent node it comes from; consumer names the reader for errors.</summary>
    public TracedTensor Trace(string tensor, string consumer) => Trace(tensor, consumer, 0);

    private TracedTensor Trace(string tensor, string consumer, int depth)
    {
        var path = new List<NodeProto>();
        string name = tensor;
        NodeProto? source;
        while (true)
        {
            if (!producers.TryGetValue(name, out source))
                throw new OnnxFormatException($"{consumer} reads '{tensor}', which does not come from a recurrent node (it starts at '{name}')");
            if (source.OpType is "LSTM" or "GRU" or "RNN" or "Concat") break;
            if (path.Count + depth > producers.Count) throw new OnnxFormatException($"tensor '{tensor}': the graph has a cycle");
            if (!Followed.Contains(source.OpType))
                throw Error(source, $"sits between a recurrent node and {consumer}; only {string.Join(", ", Followed)} are understood there");
            path.Add(source);
            name = source.Input[0];
        }
        State state = source.OpType == "Concat" ? Concat(source, consumer, depth + path.Count + 1) : Start(source, name, consumer);
        path.Reverse();
        foreach (NodeProto node in path) Apply(node, state);
        // With one direction (or one selected), H is already a full row of that strand; with both, Features is.
        AxisRole[] axes = state.Axes.Select(r => r == AxisRole.Hidden && state.Directions == 1 ? AxisRole.Features : r).ToArray();
        return new TracedTensor(state.Source, state.Output, axes, state.Parts.ToArray());
    }

    /// <summary>The tensor being traced: its axes, its parts, and the node it comes from.</summary>
    private sealed class State(NodeProto source, int output, int directions, int hidden, List<AxisRole> axes, List<TracedPart> parts)
    {
        public NodeProto Source { get; } = source;
        public int Output { get; } = output;
        /// <summary>D of the node, or 1 once a direction is selected.</summary>
        public int Directions { get; set; } = directions;
        public int Hidden { get; } = hidden;
        public List<AxisRole> Axes { get; } = axes;
        public List<TracedPart> Parts { get; } = parts;
        public bool SizeOne(AxisRole r) => r is AxisRole.One or AxisRole.Step || (r == AxisRole.Direction && Directions == 1);
    }

    private static State Start(NodeProto source, string output, string consumer)
    {
        int index = source.Output.IndexOf(output);
        if (index == 2) throw Error(source, $"its cell state Y_c feeds {consumer}; only Y or Y_h can");
        RecurrentNodeAttributes attributes = RecurrentNodeAttributes.Parse(source);
        var axes = (index, attributes.Layout) switch
        {
            (0, 0) => new List<AxisRole> { AxisRole.Time, AxisRole.Direction, AxisRole.Batch, AxisRole.Hidden },
            (0, _) => [AxisRole.Batch, AxisRole.Time, AxisRole.Direction, AxisRole.Hidden],
            (_, 0) => [AxisRole.Direction, AxisRole.Batch, AxisRole.Hidden],
            _ => [AxisRole.Batch, AxisRole.Direction, AxisRole.Hidden],
        };
        return new State(source, index, attributes.Directions, attributes.HiddenSize, axes, [new TracedPart(null, TakenStep.None, null)]);
    }

    /// <summary>Concat on the hidden axis of the forward and the backward strand of one node: the (D·H) row.</summary>
    private State Concat(NodeProto node, string consumer, int depth)
    {
        if (node.Input.Count != 2) throw Error(node, $"concatenates {node.Input.Count} tensors; only the two directions of one layer are understood");
        TracedTensor forward = Trace(node.Input[0], consumer, depth), backward = Trace(node.Input[1], consumer, depth);
        int rank = forward.Axes.Length;
        int axis = Normalized(node, [Attribute(node, "axis")?.I ?? 0], rank)[0];
        bool sameOrigin = backward.Source == forward.Source && backward.Output == forward.Output && backward.Axes.SequenceEqual(forward.Axes);
        if (!sameOrigin || axis != rank - 1 || forward.Axes[axis] != AxisRole.Features
            || forward.Parts is not [{ Direction: 0 }] || backward.Parts is not [{ Direction: 1 }])
            throw Error(node, $"concatenates {forward.Describe()} and {backward.Describe()} on axis {axis}; only the forward then the backward direction of one layer, on the last axis, are understood");
        var axes = forward.Axes.ToList();
        axes[axis] = AxisRole.Features;
        return new State(forward.Source, forward.Output, 2, RecurrentNodeAttributes.Parse(forward.Source).HiddenSize, axes, [forward.Parts[0], backward.Parts[0]]);
    }

    private void Apply(NodeProto node, State state)
    {
        List<AxisRole> axes = state.Axes;
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
                if (perm.Length != axes.Count || !perm.Order().Select(p => (int)p).SequenceEqual(Enumerable.Range(0, axes.Count)))
                    throw Error(node, $"perm [{string.Join(", ", perm)}] is not a permutation of {axes.Count} axes");
                AxisRole[] before = axes.ToArray();
                for (int i = 0; i < perm.Length; i++) axes[i] = before[perm[i]];
                return;
            }
            case "Squeeze":
            {
                long[] which = Ints(node, 1) ?? throw Error(node, "has no axes (which axes go would depend on the batch size at run time)");
                foreach (int a in Normalized(node, which, axes.Count).OrderDescending())
                {
                    if (!state.SizeOne(axes[a])) throw Error(node, $"squeezes axis {a} ({axes[a]}), which is not of size one");
                    axes.RemoveAt(a);
                }
                return;
            }
            case "Unsqueeze":
            {
                long[] which = Ints(node, 1) ?? throw Error(node, "has no axes");
                foreach (int a in Normalized(node, which, axes.Count + which.Length).Order()) axes.Insert(a, AxisRole.One);
                return;
            }
            case "Reshape":
                Reshape(node, state);
                return;
            case "Slice":
                Slice(node, state);
                return;
            case "Gather":
            {
                int a = Normalized(node, [Attribute(node, "axis")?.I ?? 0], axes.Count)[0];
                TensorProto indices = Constant(node, 1, "indices");
                long[] index = OnnxTensors.ReadInt64(indices, folder);
                if (index.Length != 1) throw Error(node, $"gathers {index.Length} indices of axis {a} ({axes[a]}); only one step or one direction is understood");
                Take(node, state, a, index[0], $"gathers index {index[0]} of axis {a} ({axes[a]})");
                if (indices.Dims.Count == 0) axes.RemoveAt(a);
                return;
            }
        }
    }

    /// <summary>
    /// One index of axis a: the first or last time step, one of two directions, or index 0 / -1 of a size-one axis.
    /// The axis becomes size one (Step or One).
    /// </summary>
    private static void Take(NodeProto node, State state, int a, long index, string what)
    {
        List<AxisRole> axes = state.Axes;
        if (axes[a] == AxisRole.Time && index is 0 or -1)
        {
            TakenStep step = index == 0 ? TakenStep.First : TakenStep.Last;
            for (int p = 0; p < state.Parts.Count; p++) state.Parts[p] = state.Parts[p] with { Step = step, StepTaker = node };
            axes[a] = AxisRole.Step;
        }
        else if (axes[a] == AxisRole.Direction && state.Directions == 2 && index is 0 or 1 or -1 && state.Parts.Count == 1)
        {
            state.Parts[0] = state.Parts[0] with { Direction = index == 0 ? 0 : 1 };
            state.Directions = 1;
            axes[a] = AxisRole.One;
        }
        else if (!(state.SizeOne(axes[a]) && index is 0 or -1))
            throw Error(node, $"{what}; only the first or last time step, or one of two directions, is understood");
    }

    /// <summary>Reshape to [0, ..., 0, -1] (or the merged width): leading axes kept, the rest merged into one, which must be (D, H) or H.</summary>
    private void Reshape(NodeProto node, State state)
    {
        List<AxisRole> axes = state.Axes;
        if (Attribute(node, "allowzero")?.I is > 0) throw Error(node, "allowzero = 1 is not understood");
        long[] shape = OnnxTensors.ReadInt64(Constant(node, 1, "shape"), folder);
        int kept = shape.TakeWhile(s => s == 0).Count();
        if (kept != shape.Length - 1 || kept >= axes.Count)
            throw Error(node, $"shape [{string.Join(", ", shape)}] is not [0, ..., 0, -1] (leading axes kept, the rest merged)");
        AxisRole[] merged = axes.Skip(kept).Where(r => r is not (AxisRole.One or AxisRole.Step)).ToArray();
        AxisRole result = merged switch
        {
            [AxisRole.Hidden] when state.Directions == 1 => AxisRole.Hidden,
            [AxisRole.Direction, AxisRole.Hidden] or [AxisRole.Features] => state.Directions == 1 ? AxisRole.Hidden : AxisRole.Features,
            _ => throw Error(node, $"merges ({string.Join(", ", axes.Skip(kept))}) into one axis; only (direction, hidden) in that order is a stack's output row"),
        };
        long width = (long)state.Directions * state.Hidden;
        if (shape[^1] != -1 && shape[^1] != width) throw Error(node, $"last dimension {shape[^1]} is neither -1 nor the merged width {width}");
        axes.RemoveRange(kept, axes.Count - kept);
        axes.Add(result);
    }

    private void Slice(NodeProto node, State state)
    {
        // Opset 10+: starts, ends, axes, steps are inputs; before: attributes.
        long[] starts = Ints(node, 1, "starts") ?? throw Error(node, "has no starts");
        long[] ends = Ints(node, 2, "ends") ?? throw Error(node, "has no ends");
        long[] which = Ints(node, 3, "axes") ?? Enumerable.Range(0, starts.Length).Select(i => (long)i).ToArray();
        long[] steps = (node.Input.Count > 4 && node.Input[4].Length > 0 ? Ints(node, 4) : null) ?? Enumerable.Repeat(1L, starts.Length).ToArray();
        if (starts.Length != ends.Length || starts.Length != which.Length || steps.Length != starts.Length)
            throw Error(node, "starts, ends, axes and steps differ in length");
        int[] normalized = Normalized(node, which, state.Axes.Count);
        for (int i = 0; i < normalized.Length; i++)
        {
            if (starts[i] == 0 && ends[i] >= int.MaxValue && steps[i] == 1) continue; // the whole axis
            // One index: [k, k + 1), or [-1, past the end).
            bool one = steps[i] == 1 && (ends[i] == starts[i] + 1 && starts[i] >= 0 || starts[i] == -1 && ends[i] >= int.MaxValue);
            string what = $"slices axis {normalized[i]} ({state.Axes[normalized[i]]}) [{starts[i]}, {ends[i]}) step {steps[i]}";
            if (!one) throw Error(node, $"{what}; only one index (the first or last time step, or one of two directions) is understood");
            Take(node, state, normalized[i], starts[i], what);
        }
    }

    /// <summary>int64 values given as the constant input at index, or (before opsets 10 and 13) as the attribute.</summary>
    private long[]? Ints(NodeProto node, int input, string attribute = "axes")
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
