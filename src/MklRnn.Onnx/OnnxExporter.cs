using Google.Protobuf;
using MklRnn.IO;
using MklRnn.Layers;
using MklRnn.Onnx.Proto;

namespace MklRnn.Onnx;

/// <summary>Which optional graph inputs an exported model has.</summary>
public sealed record OnnxExportOptions
{
    /// <summary>A 'lengths' input (N, int32) wired to every node's sequence_lens.</summary>
    public bool WithLengths { get; init; }
    /// <summary>'h0' (and for LSTM 'c0') inputs (layers * directions, N, hidden), sliced per layer.</summary>
    public bool WithInitialStates { get; init; }
}

/// <summary>
/// Writes an <see cref="OnnxRecurrentModel"/> as ONNX (opset 14): one LSTM/GRU/RNN node per layer with
/// both directions in it, the Transpose + Reshape glue PyTorch's exporter emits between layers, Gather
/// for the embedding, MatMul + Add for the head (on every step, or on the last layer's Y_h for a final-state
/// head), direction 'reverse' for a time-reversed model. Inputs 'input' (+ 'lengths', 'h0', 'c0'); outputs
/// 'output' or 'logits' (+ 'probabilities' / 'log_probabilities'), 'h_n' and for LSTM 'c_n', shaped as
/// PyTorch shapes them. The stack's config is kept in metadata_props (keys "mklrnn.*").
/// </summary>
public static class OnnxExporter
{
    public const int Opset = 14;
    public const string MetadataPrefix = "mklrnn.";

    public static ModelProto Export(OnnxRecurrentModel model, OnnxExportOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        options ??= new OnnxExportOptions();
        RnnConfig config = model.Stack.Config;
        if (config.ProjSize > 0)
            throw new NotSupportedException($"LSTM projections (proj_size = {config.ProjSize}) have no ONNX LSTM equivalent");
        var g = new GraphBuilder();
        var graph = g.Graph;
        graph.Name = "mklrnn_" + config.ModeName.ToLowerInvariant();
        int D = config.Directions, L = config.NumLayers, S = L * D;
        bool lstm = config.Cell == CellKind.Lstm;

        // Input (time-major after this block).
        string x;
        if (model.Embedding != null)
        {
            graph.Input.Add(GraphBuilder.Value("input", TensorProto.Types.DataType.Int64, config.BatchFirst ? ["N", "T"] : ["T", "N"]));
            g.Initializer(OnnxTensors.Float("embedding.weight", model.Embedding.Weight.Values, model.Embedding.VocabularySize, model.Embedding.EmbeddingSize));
            x = g.Node("Gather", ["embedding.weight", "input"]);
        }
        else
        {
            graph.Input.Add(GraphBuilder.Value("input", TensorProto.Types.DataType.Float, config.BatchFirst ? ["N", "T", config.InputSize] : ["T", "N", config.InputSize]));
            x = "input";
        }
        if (config.BatchFirst) x = g.Node("Transpose", [x], a => a.Add(GraphBuilder.Ints("perm", 1, 0, 2)));
        if (options.WithLengths) graph.Input.Add(GraphBuilder.Value("lengths", TensorProto.Types.DataType.Int32, ["N"]));
        if (options.WithInitialStates)
        {
            graph.Input.Add(GraphBuilder.Value("h0", TensorProto.Types.DataType.Float, [S, "N", config.HiddenSize]));
            if (lstm) graph.Input.Add(GraphBuilder.Value("c0", TensorProto.Types.DataType.Float, [S, "N", config.HiddenSize]));
        }

        var hn = new List<string>();
        var cn = new List<string>();
        for (int l = 0; l < L; l++)
        {
            string layer = $"l{l}";
            AddLayerWeights(g, model.Stack, l, layer);
            string Slice(string state) => g.Node("Slice", [state, g.Constant([l * D]), g.Constant([(l + 1) * D]), g.Constant([0])]);
            string h0 = options.WithInitialStates ? Slice("h0") : "";
            string c0 = options.WithInitialStates && lstm ? Slice("c0") : "";
            var inputs = new List<string> { x, "W_" + layer, "R_" + layer, "B_" + layer, options.WithLengths ? "lengths" : "", h0 };
            if (lstm) inputs.Add(c0);
            if (config.Peephole) inputs.Add("P_" + layer);
            string y = $"Y_{layer}", yh = $"Y_h_{layer}", yc = $"Y_c_{layer}";
            g.NodeWithOutputs(OpType(config.Cell), inputs, lstm ? [y, yh, yc] : [y, yh], a => AddCellAttributes(a, config, model.IsReversed(l)));
            hn.Add(yh);
            cn.Add(yc);
            // Y (T, D, N, H) -> (T, N, D*H), as PyTorch's exporter does it.
            string transposed = g.Node("Transpose", [y], a => a.Add(GraphBuilder.Ints("perm", 0, 2, 1, 3)));
            x = g.Node("Reshape", [transposed, g.Constant([0, 0, -1])]);
        }

        if (config.BatchFirst) x = g.Node("Transpose", [x], a => a.Add(GraphBuilder.Ints("perm", 1, 0, 2)));
        var width = config.OutputSize;
        if (model.Head != null)
        {
            var head = model.Head;
            // MatMul takes (F, V): the head's (V, F) weight transposed (exact, so a round trip is bit-identical).
            var transposed = new float[head.Weight.Length];
            ReadOnlySpan<float> w = head.Weight.Values;
            for (int v = 0; v < head.VocabularySize; v++)
                for (int f = 0; f < width; f++) transposed[f * head.VocabularySize + v] = w[v * width + f];
            g.Initializer(OnnxTensors.Float("head.weight_t", transposed, width, head.VocabularySize));
            g.Initializer(OnnxTensors.Float("head.bias", head.Bias.Values, head.VocabularySize));
            object[] dims = config.BatchFirst ? ["N", "T", head.VocabularySize] : ["T", "N", head.VocabularySize];
            if (model.HeadInput == HeadInput.FinalState)
            {
                // The last layer's Y_h (D, N, H) -> (N, D, H) -> (N, D*H): both directions' final states side by side.
                x = g.Node("Reshape", [g.Node("Transpose", [hn[^1]], a => a.Add(GraphBuilder.Ints("perm", 1, 0, 2))), g.Constant([0, -1])]);
                dims = ["N", head.VocabularySize];
            }
            string logits = g.NodeWithOutputs("Add", [g.Node("MatMul", [x, "head.weight_t"]), "head.bias"], ["logits"]);
            g.Output(logits, dims);
            if (model.Activation != OutputActivation.None)
            {
                string name = model.Activation == OutputActivation.Softmax ? "probabilities" : "log_probabilities";
                g.NodeWithOutputs(model.Activation.ToString(), [logits], [name], a => a.Add(GraphBuilder.Int("axis", -1)));
                g.Output(name, dims);
            }
        }
        else
        {
            g.NodeWithOutputs("Identity", [x], ["output"]);
            g.Output("output", config.BatchFirst ? ["N", "T", width] : ["T", "N", width]);
        }
        g.NodeWithOutputs("Concat", hn, ["h_n"], a => a.Add(GraphBuilder.Int("axis", 0)));
        g.Output("h_n", [S, "N", config.HiddenSize]);
        if (lstm)
        {
            g.NodeWithOutputs("Concat", cn, ["c_n"], a => a.Add(GraphBuilder.Int("axis", 0)));
            g.Output("c_n", [S, "N", config.HiddenSize]);
        }

        var result = new ModelProto { IrVersion = 8, ProducerName = "MklRnn", Graph = graph };
        result.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = Opset });
        foreach (var (key, value) in RnnConfigMetadata.ToMetadata(config, MetadataPrefix))
            result.MetadataProps.Add(new StringStringEntryProto { Key = key, Value = value });
        return result;
    }

    /// <summary>Exports and writes atomically.</summary>
    public static void Save(OnnxRecurrentModel model, string path, OnnxExportOptions? options = null) =>
        OnnxFile.Write(Export(model, options), path);

    internal static string OpType(CellKind cell) => cell switch
    {
        CellKind.Lstm => "LSTM",
        CellKind.Gru => "GRU",
        _ => "RNN",
    };

    private static void AddCellAttributes(Google.Protobuf.Collections.RepeatedField<AttributeProto> a, RnnConfig config, bool reversed)
    {
        a.Add(GraphBuilder.Int("hidden_size", config.HiddenSize));
        a.Add(GraphBuilder.String("direction", config.Bidirectional ? "bidirectional" : reversed ? "reverse" : "forward"));
        if (config.Cell == CellKind.Gru) a.Add(GraphBuilder.Int("linear_before_reset", config.LinearBeforeReset ? 1 : 0));
        if (config.Cell == CellKind.RnnRelu)
            a.Add(GraphBuilder.Strings("activations", Enumerable.Repeat("Relu", config.Directions).ToArray()));
    }

    /// <summary>W (D, G*H, I), R (D, G*H, H), B (D, 2*G*H) and P (D, 3H) of one layer, gates in ONNX order.</summary>
    private static void AddLayerWeights(GraphBuilder g, RecurrentStack stack, int layer, string suffix)
    {
        RnnConfig config = stack.Config;
        int D = config.Directions, H = config.HiddenSize, GH = config.GateCount * H, I = config.LayerInputSize(layer);
        int[] map = GateOrder.OnnxFromTorch(config.Cell);
        var w = new float[D * GH * I];
        var r = new float[D * GH * H];
        var b = new float[D * 2 * GH];
        var p = new float[D * 3 * H];
        for (int d = 0; d < D; d++)
        {
            string name = $"_l{layer}" + (d == 1 ? "_reverse" : "");
            GateOrder.Permute(stack["weight_ih" + name].Values, w.AsSpan(d * GH * I, GH * I), map, H * I);
            GateOrder.Permute(stack["weight_hh" + name].Values, r.AsSpan(d * GH * H, GH * H), map, H * H);
            GateOrder.Permute(stack["bias_ih" + name].Values, b.AsSpan(d * 2 * GH, GH), map, H);
            GateOrder.Permute(stack["bias_hh" + name].Values, b.AsSpan(d * 2 * GH + GH, GH), map, H);
            if (config.Peephole) GateOrder.Permute(stack["weight_peephole" + name].Values, p.AsSpan(d * 3 * H, 3 * H), GateOrder.Peephole, H);
        }
        g.Initializer(OnnxTensors.Float("W_" + suffix, w, D, GH, I));
        g.Initializer(OnnxTensors.Float("R_" + suffix, r, D, GH, H));
        g.Initializer(OnnxTensors.Float("B_" + suffix, b, D, 2 * GH));
        if (config.Peephole) g.Initializer(OnnxTensors.Float("P_" + suffix, p, D, 3 * H));
    }
}
