using System.Globalization;
using MklRnn.Layers;
using MklRnn.Modules;
using MklRnn.Onnx.Proto;
using MklRnn.Training;

namespace MklRnn.Onnx;

/// <summary>
/// Maps an ONNX graph with the structure of a recurrent model (optional Gather embedding, one LSTM/GRU/RNN
/// node per layer joined by shape glue, optional Gemm or MatMul + Add head on every step or on the final state,
/// and Softmax/LogSoftmax) to an <see cref="OnnxRecurrentModel"/>. Not an interpreter: the glue on the data paths
/// (layer to layer, last layer to head) is followed axis by axis (<see cref="AxisTrace"/>), the glue around states
/// and lengths only back to its source; any other op is refused with its type and node names (docs/onnx.md).
/// </summary>
public static class OnnxImporter
{
    private static readonly HashSet<string> Recurrent = ["LSTM", "GRU", "RNN"];
    private static readonly HashSet<string> Glue =
        ["Transpose", "Squeeze", "Unsqueeze", "Concat", "Slice", "Reshape", "Identity", "Cast", "Expand", "Shape", "Constant", "ConstantOfShape", "Gather"];
    private static readonly HashSet<string> Head = ["Gemm", "MatMul", "Add", "Softmax", "LogSoftmax"];

    /// <summary>Reads and maps a .onnx file (external data resolved inside its folder).</summary>
    public static OnnxRecurrentModel Load(string path)
    {
        ModelProto model = OnnxFile.Read(path);
        return Import(model, Path.GetDirectoryName(Path.GetFullPath(path)), path);
    }

    /// <summary>
    /// Maps a parsed model. weightInputs supplies values for graph inputs that hold weights (W, R, B, P as
    /// graph inputs rather than initializers, as in ONNX's own node tests).
    /// </summary>
    public static OnnxRecurrentModel Import(ModelProto model, string? modelFolder = null, string sourceName = "model",
        IReadOnlyDictionary<string, TensorProto>? weightInputs = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        try
        {
            return new Mapping(model, modelFolder, weightInputs).Build();
        }
        catch (OnnxFormatException e)
        {
            throw new OnnxFormatException($"{sourceName}: {e.Message}", e);
        }
    }

    /// <summary>One import: the graph's lookup tables and the mapping steps.</summary>
    private sealed class Mapping
    {
        private readonly ModelProto _model;
        private readonly GraphProto _graph;
        private readonly string? _folder;
        private readonly Dictionary<string, TensorProto> _constants = new();
        private readonly Dictionary<string, NodeProto> _producers = new();
        private readonly HashSet<string> _graphInputs = new();
        private readonly AxisTrace _trace;

        public Mapping(ModelProto model, string? folder, IReadOnlyDictionary<string, TensorProto>? weightInputs)
        {
            _model = model;
            _graph = model.Graph;
            _folder = folder;
            foreach (TensorProto t in _graph.Initializer) _constants[t.Name] = t;
            if (weightInputs != null)
                foreach (var (name, t) in weightInputs) _constants[name] = t;
            foreach (NodeProto n in _graph.Node)
            {
                foreach (string o in n.Output) if (o.Length > 0) _producers[o] = n;
                if (n.OpType == "Constant" && n.Output.Count == 1)
                {
                    AttributeProto? value = n.Attribute.FirstOrDefault(a => a.Name == "value");
                    if (value?.T != null) _constants[n.Output[0]] = value.T;
                }
            }
            foreach (ValueInfoProto v in _graph.Input)
                if (!_constants.ContainsKey(v.Name)) _graphInputs.Add(v.Name);
            _trace = new AxisTrace(_producers, _constants, folder);
        }

        public OnnxRecurrentModel Build()
        {
            RefuseUnsupportedOps();
            NodeProto[] layers = _graph.Node.Where(n => Recurrent.Contains(n.OpType)).ToArray();
            if (layers.Length == 0) throw new OnnxFormatException("the graph has no LSTM, GRU or RNN node");
            RecurrentNodeAttributes first = RecurrentNodeAttributes.Parse(layers[0]);
            foreach (NodeProto n in layers.Skip(1))
            {
                RecurrentNodeAttributes a = RecurrentNodeAttributes.Parse(n);
                // Single-direction layers may differ in time direction (OnnxRecurrentModel.LayerReversed); nothing else.
                if (a with { Reverse = first.Reverse } != first)
                    throw Error(n, $"{a} differs from the first layer's {first}; a stack needs one cell, size, direction count and layout");
            }

            // Layer 0's input: a graph input (through glue) or an embedding's Gather.
            NodeProto? gather = null;
            string inputName;
            Root root0 = SingleRoot(layers[0], 0, "X");
            if (root0.Node is { OpType: "Gather" } g)
            {
                gather = g;
                inputName = SingleRoot(g, 1, "indices").Input ?? throw Error(g, "its indices are not a graph input");
            }
            else inputName = root0.Input ?? throw Error(layers[0], "its input X is neither a graph input nor an embedding");
            for (int l = 1; l < layers.Length; l++)
                RequireLayerInput(layers[l], layers[l - 1], first.Layout);

            bool peephole = layers[0].OpType == "LSTM" && Optional(layers[0], 7) != null;
            TensorProto w0 = Weight(layers[0], 1, "W");
            if (w0.Dims.Count != 3) throw Error(layers[0], $"W '{w0.Name}' has {w0.Dims.Count} dims, expected 3 (directions, gates * hidden, input)");
            if (w0.Dims[2] < 1 || w0.Dims[2] > int.MaxValue / 4) throw Error(layers[0], $"W '{w0.Name}' has input size {w0.Dims[2]}");
            bool batchFirst = first.Layout == 1 || TransposedToTimeMajor(layers[0].Input[0]);
            var config = new RnnConfig(first.Cell, (int)w0.Dims[2], first.HiddenSize, layers.Length, first.Directions == 2)
            {
                BatchFirst = batchFirst,
                Peephole = peephole,
                LinearBeforeReset = first.Cell != CellKind.Gru || first.LinearBeforeReset,
                Dropout = MetadataDropout(),
            };

            // Every weight is read (sizes checked against the bytes there) before the stack allocates anything.
            LayerWeights[] weights = layers.Select((n, l) => ReadLayer(config, n, l, peephole)).ToArray();
            var stack = new RecurrentStack(config);
            Embedding? embedding = null;
            LinearSoftmaxHead? head = null;
            try
            {
                string? lengths = null, h0 = null, c0 = null;
                for (int l = 0; l < layers.Length; l++)
                {
                    LoadLayer(stack, weights[l], l);
                    lengths = StateInput(layers[l], 4, "sequence_lens", lengths, allowZeros: false);
                    h0 = StateInput(layers[l], 5, "initial_h", h0, allowZeros: true);
                    if (config.Cell == CellKind.Lstm) c0 = StateInput(layers[l], 6, "initial_c", c0, allowZeros: true);
                }
                if (gather != null) embedding = LoadEmbedding(gather, config.InputSize);
                bool[] reversed = layers.Select(n => RecurrentNodeAttributes.Parse(n).Reverse).ToArray();
                bool mixed = reversed.Distinct().Count() > 1;
                var (headInput, activation) = LoadHead(layers[^1], config, reversed[^1], lengths != null, out head);
                return new OnnxRecurrentModel(stack, embedding, head, activation)
                {
                    InputName = inputName, LengthsName = lengths, H0Name = h0, C0Name = c0, BatchwiseStates = first.Layout == 1,
                    TimeReversed = !mixed && first.Reverse, LayerReversed = mixed ? reversed : null, HeadInput = headInput,
                };
            }
            catch
            {
                stack.Dispose();
                embedding?.Dispose();
                head?.Dispose();
                throw;
            }
        }

        private void RefuseUnsupportedOps()
        {
            var unsupported = _graph.Node
                .Where(n => (n.Domain is not ("" or "ai.onnx")) || !(Recurrent.Contains(n.OpType) || Glue.Contains(n.OpType) || Head.Contains(n.OpType)))
                .GroupBy(n => n.Domain is "" or "ai.onnx" ? n.OpType : $"{n.Domain}.{n.OpType}")
                .Select(group => $"{group.Key} ({string.Join(", ", group.Select(n => $"'{n.Name}'"))})")
                .ToArray();
            if (unsupported.Length > 0)
                throw new OnnxFormatException($"unsupported op types (a recurrent stack with embedding and head is expected): {string.Join("; ", unsupported)}");
        }

        /// <summary>A tensor's origin, traced back through glue: a graph input, a node output (recurrent or embedding; Tensor names which), or zeros.</summary>
        private readonly record struct Root(string? Input, NodeProto? Node, bool Zeros, string? Tensor = null);

        private void Roots(string name, List<Root> found, int depth)
        {
            if (depth > _graph.Node.Count) throw new OnnxFormatException($"tensor '{name}': the graph has a cycle");
            if (_constants.TryGetValue(name, out TensorProto? constant))
            {
                found.Add(new Root(null, null, AllZero(constant)));
                return;
            }
            if (_graphInputs.Contains(name)) { found.Add(new Root(name, null, false)); return; }
            if (!_producers.TryGetValue(name, out NodeProto? p)) throw new OnnxFormatException($"tensor '{name}' is neither a graph input, an initializer nor a node output");
            if (Recurrent.Contains(p.OpType) || IsEmbedding(p)) { found.Add(new Root(null, p, false, name)); return; }
            switch (p.OpType)
            {
                case "Shape": return; // a shape, no data
                case "ConstantOfShape":
                    AttributeProto? value = p.Attribute.FirstOrDefault(a => a.Name == "value");
                    found.Add(new Root(null, null, value?.T == null || AllZero(value.T)));
                    return;
                case "Concat":
                    foreach (string input in p.Input) Roots(input, found, depth + 1);
                    return;
                case "Constant": return;
                default:
                    if (!Glue.Contains(p.OpType)) throw Error(p, "is not shape glue between the recurrent layers");
                    Roots(p.Input[0], found, depth + 1); // the data input; the others are shapes, axes, perms
                    return;
            }
        }

        private Root SingleRoot(NodeProto node, int index, string what)
        {
            var found = new List<Root>();
            Roots(node.Input[index], found, 0);
            found = found.Where(r => r.Input != null || r.Node != null).Distinct().ToList();
            if (found.Count != 1) throw Error(node, $"its input {what} comes from {found.Count} sources, expected one");
            return found[0];
        }

        private bool IsEmbedding(NodeProto p) =>
            p.OpType == "Gather" && _constants.TryGetValue(p.Input[0], out TensorProto? t) && t.Dims.Count == 2 && t.DataType == (int)TensorProto.Types.DataType.Float;

        /// <summary>Whether layer 0's input passes a Transpose perm [1, 0, 2] (batch-first to time-major) on its way from the graph input.</summary>
        private bool TransposedToTimeMajor(string name)
        {
            for (int depth = 0; depth <= _graph.Node.Count && _producers.TryGetValue(name, out NodeProto? p) && Glue.Contains(p.OpType) && !IsEmbedding(p); depth++)
            {
                if (p.OpType == "Transpose" && p.Attribute.FirstOrDefault(a => a.Name == "perm") is { } perm && perm.Ints.SequenceEqual([1L, 0L, 2L]))
                    return true;
                name = p.Input[0];
            }
            return false;
        }

        private float MetadataDropout()
        {
            StringStringEntryProto? e = _model.MetadataProps.FirstOrDefault(m => m.Key == OnnxExporter.MetadataPrefix + "dropout");
            return e != null && float.TryParse(e.Value, NumberStyles.Float, CultureInfo.InvariantCulture, out float d) && d >= 0 && d < 1 ? d : 0f;
        }

        private string? Optional(NodeProto node, int index) => index < node.Input.Count && node.Input[index].Length > 0 ? node.Input[index] : null;

        private TensorProto Weight(NodeProto node, int index, string what)
        {
            string? name = Optional(node, index) ?? throw Error(node, $"input {what} is missing");
            return _constants.TryGetValue(name, out TensorProto? t) ? t
                : throw Error(node, $"{what} '{name}' is neither an initializer nor a given weight input");
        }

        private float[] WeightValues(NodeProto node, int index, string what, long[] dims)
        {
            TensorProto t = Weight(node, index, what);
            if (!t.Dims.SequenceEqual(dims))
                throw Error(node, $"{what} '{t.Name}' has dims [{string.Join(", ", t.Dims)}], expected [{string.Join(", ", dims)}]");
            return OnnxTensors.ReadFloat(t, _folder);
        }

        /// <summary>One node's W, R, B and P in ONNX order, as read (B zeros when absent).</summary>
        private sealed record LayerWeights(float[] W, float[] R, float[] B, float[]? P);

        private LayerWeights ReadLayer(RnnConfig c, NodeProto node, int layer, bool peephole)
        {
            int D = c.Directions, H = c.HiddenSize, GH = c.GateCount * H, I = c.LayerInputSize(layer);
            float[] w = WeightValues(node, 1, "W", [D, GH, I]);
            float[] r = WeightValues(node, 2, "R", [D, GH, H]);
            float[] b = Optional(node, 3) != null ? WeightValues(node, 3, "B", [D, 2 * GH]) : new float[D * 2 * GH];
            bool hasP = node.OpType == "LSTM" && Optional(node, 7) != null;
            if (hasP != peephole) throw Error(node, "peepholes P are given for some layers only");
            return new LayerWeights(w, r, b, hasP ? WeightValues(node, 7, "P", [D, 3 * H]) : null);
        }

        private static void LoadLayer(RecurrentStack stack, LayerWeights weights, int layer)
        {
            RnnConfig c = stack.Config;
            int D = c.Directions, H = c.HiddenSize, GH = c.GateCount * H, I = c.LayerInputSize(layer);
            int[] map = GateOrder.TorchFromOnnx(c.Cell);
            for (int d = 0; d < D; d++)
            {
                string suffix = $"_l{layer}" + (d == 1 ? "_reverse" : "");
                GateOrder.Permute(weights.W.AsSpan(d * GH * I, GH * I), stack["weight_ih" + suffix].Data, map, H * I);
                GateOrder.Permute(weights.R.AsSpan(d * GH * H, GH * H), stack["weight_hh" + suffix].Data, map, H * H);
                GateOrder.Permute(weights.B.AsSpan(d * 2 * GH, GH), stack["bias_ih" + suffix].Data, map, H);
                GateOrder.Permute(weights.B.AsSpan(d * 2 * GH + GH, GH), stack["bias_hh" + suffix].Data, map, H);
                if (weights.P != null) GateOrder.Permute(weights.P.AsSpan(d * 3 * H, 3 * H), stack["weight_peephole" + suffix].Data, GateOrder.Peephole, H);
            }
        }

        /// <summary>sequence_lens / initial_h / initial_c: absent, zeros (allowZeros), or one graph input shared by every layer.</summary>
        private string? StateInput(NodeProto node, int index, string what, string? previous, bool allowZeros)
        {
            string? name = Optional(node, index);
            string? input = null;
            if (name != null)
            {
                var found = new List<Root>();
                Roots(name, found, 0);
                if (found.Count == 1 && found[0].Input != null) input = found[0].Input;
                else if (!(allowZeros && found.Count > 0 && found.All(r => r.Zeros)))
                    throw Error(node, $"{what} '{name}' is neither a graph input{(allowZeros ? " nor zeros" : "")}");
            }
            if (node != _graph.Node.First(n => Recurrent.Contains(n.OpType)) && input != previous)
                throw Error(node, $"{what} comes from '{input ?? "(none)"}', the first layer's from '{previous ?? "(none)"}'");
            return input;
        }

        private Embedding LoadEmbedding(NodeProto gather, int size)
        {
            TensorProto table = _constants[gather.Input[0]];
            if (table.Dims[1] != size) throw Error(gather, $"table '{table.Name}' rows have {table.Dims[1]} values, the first layer's input size is {size}");
            if (table.Dims[0] < 1 || table.Dims[0] > int.MaxValue / size) throw Error(gather, $"table '{table.Name}' has {table.Dims[0]} rows");
            float[] values = OnnxTensors.ReadFloat(table, _folder);
            var embedding = new Embedding((int)table.Dims[0], size);
            values.CopyTo(embedding.Weight.Data);
            return embedding;
        }

        /// <summary>Layer k's X must be layer k-1's Y, (T, N, D·H) or with layout 1 (N, T, D·H), through glue that keeps it so.</summary>
        private void RequireLayerInput(NodeProto layer, NodeProto below, int layout)
        {
            TracedTensor x = _trace.Trace(layer.Input[0], $"input X of node '{layer.Name}'");
            AxisRole[] expected = layout == 1 ? [AxisRole.Batch, AxisRole.Time, AxisRole.Features] : [AxisRole.Time, AxisRole.Batch, AxisRole.Features];
            if (x.Source != below || x.Output != 0 || !x.Axes.SequenceEqual(expected) || x.Parts.Any(p => p.Step != TakenStep.None))
                throw Error(layer, $"its input X is {x.Describe()}, expected ({string.Join(", ", expected)}) of Y of the layer before (node '{below.Name}')");
        }

        /// <summary>
        /// The head after the last layer: Gemm, or MatMul (+ Add), then optionally Softmax / LogSoftmax. It reads every
        /// step of Y, or the final state: Y_h, or Y's last step when that equals it (one forward direction, no sequence_lens).
        /// </summary>
        private (HeadInput Input, OutputActivation Activation) LoadHead(NodeProto last, RnnConfig config, bool reversed, bool hasLengths, out LinearSoftmaxHead? head)
        {
            head = null;
            int width = config.OutputSize;
            NodeProto[] linear = _graph.Node.Where(n => n.OpType is "Gemm" or "MatMul").ToArray();
            if (linear.Length == 0)
            {
                RefuseLeftovers([]);
                return (HeadInput.Sequence, OutputActivation.None);
            }
            if (linear.Length > 1) throw Error(linear[1], "a second linear layer (one head is supported)");
            NodeProto node = linear[0];
            HeadInput input = HeadReads(node, last, config, reversed, hasLengths);
            TensorProto weight = Weight(node, 1, "B");
            bool transB = node.Attribute.Any(a => a.Name == "transB" && a.I == 1);
            foreach (AttributeProto a in node.Attribute)
                if (!(a.Name == "transB" || (a.Name is "alpha" or "beta" && a.F == 1f) || (a.Name == "transA" && a.I == 0)))
                    throw Error(node, $"attribute '{a.Name}' is not supported");
            if (weight.Dims.Count != 2 || weight.Dims[transB ? 1 : 0] != width)
                throw Error(node, $"weight '{weight.Name}' has dims [{string.Join(", ", weight.Dims)}], expected {(transB ? $"[vocabulary, {width}]" : $"[{width}, vocabulary]")}");
            int V = (int)weight.Dims[transB ? 0 : 1];
            if (V < 1 || (long)V * width > int.MaxValue) throw Error(node, $"weight '{weight.Name}' has {V} outputs");
            float[] w = OnnxTensors.ReadFloat(weight, _folder);
            var explained = new List<NodeProto> { node };
            string output = node.Output[0];
            float[] bias = new float[V];
            TensorProto? biasTensor = node.OpType == "Gemm" && Optional(node, 2) is { } c ? Weight(node, 2, "C") : null;
            NodeProto? add = _graph.Node.FirstOrDefault(n => n.OpType == "Add" && n.Input.Contains(output));
            if (add != null)
            {
                string other = add.Input[0] == output ? add.Input[1] : add.Input[0];
                biasTensor = _constants.TryGetValue(other, out TensorProto? bt) ? bt : throw Error(add, $"'{other}' is not an initializer (a head bias is expected)");
                explained.Add(add);
                output = add.Output[0];
            }
            if (biasTensor != null)
            {
                if (OnnxTensors.ElementCount(biasTensor) != V) throw Error(node, $"bias '{biasTensor.Name}' has dims [{string.Join(", ", biasTensor.Dims)}], expected [{V}]");
                bias = OnnxTensors.ReadFloat(biasTensor, _folder);
            }
            head = new LinearSoftmaxHead(width, V);
            Span<float> hw = head.Weight.Data;
            for (int v = 0; v < V; v++)
                for (int f = 0; f < width; f++) hw[v * width + f] = transB ? w[v * width + f] : w[f * V + v];
            bias.CopyTo(head.Bias.Data);

            OutputActivation activation = OutputActivation.None;
            NodeProto? softmax = _graph.Node.FirstOrDefault(n => n.OpType is "Softmax" or "LogSoftmax" && n.Input[0] == output);
            if (softmax != null)
            {
                // Before opset 13 the default axis is 1 and the input is flattened from it: only the last axis is a row softmax.
                int rank = input == HeadInput.Sequence ? 3 : 2;
                long axis = softmax.Attribute.FirstOrDefault(a => a.Name == "axis")?.I ?? (DefaultOpset() >= 13 ? -1 : 1);
                if (axis != -1 && axis != rank - 1) throw Error(softmax, $"attribute 'axis' = {axis}, only the last axis ({rank - 1} or -1) is supported");
                activation = softmax.OpType == "Softmax" ? OutputActivation.Softmax : OutputActivation.LogSoftmax;
                explained.Add(softmax);
            }
            RefuseLeftovers(explained);
            return (input, activation);
        }

        private HeadInput HeadReads(NodeProto node, NodeProto last, RnnConfig config, bool reversed, bool hasLengths)
        {
            TracedTensor a = _trace.Trace(node.Input[0], $"the head node '{node.Name}'");
            if (a.Source != last) throw Error(node, $"reads {a.Describe()}, not an output of the last recurrent layer '{last.Name}'");
            AxisRole[] sequence = config.BatchFirst ? [AxisRole.Batch, AxisRole.Time, AxisRole.Features] : [AxisRole.Time, AxisRole.Batch, AxisRole.Features];
            if (a.Output == 0 && a.Parts.All(p => p.Step == TakenStep.None) && a.Axes.SequenceEqual(sequence)) return HeadInput.Sequence;
            if (!a.Axes.SequenceEqual([AxisRole.Batch, AxisRole.Features]))
                throw Error(node, $"reads {a.Describe()}; a head reads every step ({string.Join(", ", sequence)}) or the final state (Batch, Features)");
            foreach (TracedPart part in a.Parts) RequireFinalState(node, a, part, config, reversed, hasLengths);
            return HeadInput.FinalState;
        }

        /// <summary>
        /// Y_h is a direction's final state; a step of Y is when it is the step that direction computes last: the last
        /// step of a forward direction over full-length sequences (ONNX zeroes Y past a sequence's length), step 0 of a
        /// backward one (whatever the lengths).
        /// </summary>
        private static void RequireFinalState(NodeProto head, TracedTensor a, TracedPart part, RnnConfig config, bool reversed, bool hasLengths)
        {
            if (a.Output == 1) return;
            NodeProto taker = part.StepTaker ?? throw Error(head, $"reads {a.Describe()} without taking a time step");
            if (config.Bidirectional && part.Direction == null)
                throw Error(taker, "takes one step of both directions of a bidirectional Y: the forward direction ends at the last step, the backward one at step 0 (read Y_h, or slice each direction)");
            bool backward = config.Bidirectional ? part.Direction == 1 : reversed;
            if (backward && part.Step != TakenStep.First)
                throw Error(taker, "takes the last step of a backward direction, which it computes first; its final state is step 0 (or Y_h)");
            if (!backward && part.Step != TakenStep.Last)
                throw Error(taker, "takes the first step of a forward direction, not its final state (the last step, or Y_h)");
            if (!backward && hasLengths)
                throw Error(taker, "takes Y's last step while the graph has sequence_lens: for shorter sequences that step is zero, not their final state (read Y_h instead)");
        }

        private long DefaultOpset() => _model.OpsetImport.FirstOrDefault(o => o.Domain is "" or "ai.onnx")?.Version ?? 1;

        private void RefuseLeftovers(List<NodeProto> explained)
        {
            NodeProto? extra = _graph.Node.FirstOrDefault(n => Head.Contains(n.OpType) && !explained.Contains(n));
            if (extra != null) throw Error(extra, "is not part of a linear head after the last recurrent layer");
        }

        private static bool AllZero(TensorProto t)
        {
            try
            {
                return t.DataType == (int)TensorProto.Types.DataType.Float && OnnxTensors.ReadFloat(t, null).All(v => v == 0f);
            }
            catch (OnnxFormatException)
            {
                return false;
            }
        }

        private static OnnxFormatException Error(NodeProto node, string message) => new($"node '{node.Name}' ({node.OpType}): {message}");
    }
}
