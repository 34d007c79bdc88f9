using Google.Protobuf;
using Google.Protobuf.Collections;
using MklRnn.Onnx.Proto;

namespace MklRnn.Onnx;

/// <summary>Small helpers that append nodes, initializers and value infos to a GraphProto with unique names.</summary>
internal sealed class GraphBuilder
{
    private int _next;

    public GraphProto Graph { get; } = new();

    public void Initializer(TensorProto tensor) => Graph.Initializer.Add(tensor);

    /// <summary>An int64 constant initializer; returns its name.</summary>
    public string Constant(long[] values)
    {
        string name = $"const_{_next++}";
        Initializer(OnnxTensors.Int64(name, values, values.Length));
        return name;
    }

    /// <summary>A node with one generated output name; returns it.</summary>
    public string Node(string op, IEnumerable<string> inputs, Action<RepeatedField<AttributeProto>>? attributes = null) =>
        NodeWithOutputs(op, inputs, [$"{op.ToLowerInvariant()}_{_next++}"], attributes);

    /// <summary>A node with the given outputs; returns the first.</summary>
    public string NodeWithOutputs(string op, IEnumerable<string> inputs, string[] outputs, Action<RepeatedField<AttributeProto>>? attributes = null)
    {
        var node = new NodeProto { OpType = op, Name = $"{op}_{_next++}" };
        node.Input.AddRange(inputs);
        node.Output.AddRange(outputs);
        attributes?.Invoke(node.Attribute);
        Graph.Node.Add(node);
        return outputs[0];
    }

    public void Output(string name, object[] dims) => Graph.Output.Add(Value(name, TensorProto.Types.DataType.Float, dims));

    /// <summary>A tensor value info; dims are ints (fixed) or strings (symbolic).</summary>
    public static ValueInfoProto Value(string name, TensorProto.Types.DataType type, object[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (object d in dims)
            shape.Dim.Add(d is string s ? new TensorShapeProto.Types.Dimension { DimParam = s } : new TensorShapeProto.Types.Dimension { DimValue = Convert.ToInt64(d) });
        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)type, Shape = shape } },
        };
    }

    public static AttributeProto Int(string name, long value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    public static AttributeProto Ints(string name, params long[] values)
    {
        var a = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        a.Ints.AddRange(values);
        return a;
    }

    public static AttributeProto String(string name, string value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.String, S = ByteString.CopyFromUtf8(value) };

    public static AttributeProto Strings(string name, params string[] values)
    {
        var a = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Strings };
        a.Strings.AddRange(values.Select(ByteString.CopyFromUtf8));
        return a;
    }
}
