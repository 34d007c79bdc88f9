using System.Text;
using MklRnn.Onnx.Proto;

namespace MklRnn.Onnx;

/// <summary>
/// The attributes of one ONNX LSTM / GRU / RNN node that a <see cref="MklRnn.Layers.RecurrentStack"/> can
/// honour. Anything else (clip, input_forget, non-default activations or their alpha/beta) is refused with
/// an error naming the node and the attribute.
/// </summary>
internal sealed record RecurrentNodeAttributes(CellKind Cell, int HiddenSize, int Directions, int Layout, bool LinearBeforeReset, bool Reverse)
{
    /// <summary>Hidden sizes beyond this are refused before any weight is read (no ONNX RNN comes close).</summary>
    public const int MaxHiddenSize = 1 << 16;

    public static RecurrentNodeAttributes Parse(NodeProto node)
    {
        string where = $"node '{node.Name}' ({node.OpType})";
        long hidden = -1, layout = 0, linearBeforeReset = 0;
        string direction = "forward";
        string[]? activations = null;
        foreach (AttributeProto a in node.Attribute)
        {
            switch (a.Name)
            {
                case "hidden_size": hidden = a.I; break;
                case "layout": layout = a.I; break;
                case "direction": direction = Encoding.UTF8.GetString(a.S.Span); break;
                case "linear_before_reset" when node.OpType == "GRU": linearBeforeReset = a.I; break;
                case "activations": activations = a.Strings.Select(s => Encoding.UTF8.GetString(s.Span)).ToArray(); break;
                case "input_forget" when node.OpType == "LSTM":
                    if (a.I != 0) throw new OnnxFormatException($"{where}: attribute 'input_forget' = {a.I} is not supported (only 0, the default)");
                    break;
                case "clip":
                    throw new OnnxFormatException($"{where}: attribute 'clip' = {a.F} is not supported (cell clipping has no MklRnn equivalent)");
                default:
                    throw new OnnxFormatException($"{where}: attribute '{a.Name}' is not supported");
            }
        }
        if (hidden < 1 || hidden > MaxHiddenSize)
            throw new OnnxFormatException($"{where}: attribute 'hidden_size' = {hidden}, expected 1..{MaxHiddenSize}");
        if (layout is not (0 or 1)) throw new OnnxFormatException($"{where}: attribute 'layout' = {layout}, expected 0 or 1");
        if (linearBeforeReset is not (0 or 1)) throw new OnnxFormatException($"{where}: attribute 'linear_before_reset' = {linearBeforeReset}, expected 0 or 1");
        int directions = direction switch
        {
            "forward" => 1,
            "bidirectional" => 2,
            "reverse" => 1,
            _ => throw new OnnxFormatException($"{where}: attribute 'direction' = '{direction}', expected forward, reverse or bidirectional"),
        };
        CellKind cell = node.OpType switch
        {
            "LSTM" => CheckActivations(where, activations, directions, ["Sigmoid", "Tanh", "Tanh"], CellKind.Lstm),
            "GRU" => CheckActivations(where, activations, directions, ["Sigmoid", "Tanh"], CellKind.Gru),
            _ => activations != null && activations.Length > 0 && activations.All(s => s == "Relu")
                ? CheckActivations(where, activations, directions, ["Relu"], CellKind.RnnRelu)
                : CheckActivations(where, activations, directions, ["Tanh"], CellKind.RnnTanh),
        };
        return new RecurrentNodeAttributes(cell, (int)hidden, directions, (int)layout, linearBeforeReset == 1, direction == "reverse");
    }

    private static CellKind CheckActivations(string where, string[]? given, int directions, string[] expected, CellKind cell)
    {
        if (given == null) return cell;
        string[] full = Enumerable.Repeat(expected, directions).SelectMany(e => e).ToArray();
        if (!given.SequenceEqual(full, StringComparer.OrdinalIgnoreCase))
            throw new OnnxFormatException($"{where}: attribute 'activations' = [{string.Join(", ", given)}] is not supported (expected [{string.Join(", ", full)}])");
        return cell;
    }
}
