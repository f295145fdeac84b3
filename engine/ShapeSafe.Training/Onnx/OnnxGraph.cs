using System.Runtime.InteropServices;
using ShapeSafe.NN;
using ShapeSafe.Tensorboard;
using ShapeSafe.Tracing;

namespace ShapeSafe.Onnx;

/// <summary>
/// The ONNX graph being built from traced ops: names of values, nodes, initializers and constants. The translation
/// of each op is in <c>OnnxGraph.Ops.cs</c> (element-wise, views, layers) and <c>OnnxGraph.Sequence.cs</c>
/// (recurrent layers and attention).
/// </summary>
internal sealed partial class OnnxGraph
{
    internal const int DataTypeFloat = 1, DataTypeInt64 = 7;

    readonly Dictionary<Tensor, string> _names = new(ReferenceEqualityComparer.Instance);
    readonly Dictionary<Tensor, string> _state = new(ReferenceEqualityComparer.Instance);
    readonly Dictionary<(Tensor, string), string> _derived = new();
    readonly HashSet<string> _used = new(StringComparer.Ordinal);
    int _counter;

    public OnnxGraph(Module model)
    {
        foreach (var (name, p) in model.NamedParameters()) _state[p] = name;
        foreach (var (name, b) in model.NamedBuffers()) _state.TryAdd(b, name);
        foreach (var name in _state.Values) _used.Add(name);
    }

    public List<ProtoMessage> Nodes { get; } = [];

    public List<ProtoMessage> Initializers { get; } = [];

    public static int DataType(Tensor t) => t.DType == DType.Int64 ? DataTypeInt64 : DataTypeFloat;

    public void Name(Tensor t, string name)
    {
        _names[t] = name;
        _used.Add(name);
    }

    /// <summary>
    /// The value name of a tensor: an input, an op's output, a parameter or buffer (added as an initializer under its
    /// state-dict name), or a Float32 constant made inside the forward without the inputs (added as an initializer).
    /// </summary>
    public string NameOf(Tensor t, string usedBy)
    {
        if (_names.TryGetValue(t, out var name)) return name;
        if (_state.TryGetValue(t, out var stateName))
        {
            Initializers.Add(TensorProto(stateName, t));
            _names[t] = stateName;
            return stateName;
        }
        if (t.GradFn is { } fn)
            throw new NotSupportedException(
                $"OnnxExporter: {usedBy} reads a tensor {Format(t.Shape)} made by an op that cannot be exported to ONNX: {fn} (exportable: {Exportable})");
        if (t.DType != DType.Float32)
            throw new NotSupportedException(
                $"OnnxExporter: {usedBy} reads an {t.DType} tensor {Format(t.Shape)} that is neither an input nor made by an exportable op (exportable: {Exportable})");
        // No gradient history and not an input: a constant of the forward (a mask it builds), baked in as torch.onnx does.
        string constant = Fresh("constant");
        Initializers.Add(TensorProto(constant, t));
        _names[t] = constant;
        return constant;
    }

    const string Exportable = "the layers Linear, Conv1d, Conv2d, ConvTranspose2d, MaxPool2d, AvgPool2d, AdaptiveAvgPool2d, BatchNorm1d/2d (eval), " +
        "LayerNorm, GroupNorm, Embedding, Dropout (eval), RNN, LSTM, GRU, MultiheadAttention, Transformer encoder layers, Upsample, Pad, PixelShuffle, " +
        "Flatten; ReLU, LeakyReLU, Sigmoid, Tanh, GELU, SiLU, Mish, Softplus, Hardswish, Softmax, LogSoftmax; the tensor ops + - * / (tensors or scalars), " +
        "Pow, Neg, Exp, Log, Sqrt, Matmul, View, Reshape, Transpose, Permute, Squeeze, Unsqueeze, Expand, Select, Slice, Narrow, Cat, Sum, Mean";

    string Fresh(string hint)
    {
        string name;
        do name = $"{hint}_{_counter++}"; while (!_used.Add(name));
        return name;
    }

    public void Node(string opType, string[] inputs, string[] outputs, params ProtoMessage[] attributes)
    {
        var node = new ProtoMessage();
        foreach (var i in inputs) node.String(1, i, always: true);
        foreach (var o in outputs) node.String(2, o);
        node.String(3, Fresh(opType)).String(4, opType);
        foreach (var a in attributes) node.Message(5, a);
        Nodes.Add(node);
    }

    /// <summary>Emits <paramref name="opType"/> on <paramref name="inputs"/> into a new value and returns its name.</summary>
    string Step(string opType, string[] inputs, params ProtoMessage[] attributes)
    {
        string output = Fresh(opType.ToLowerInvariant());
        Node(opType, inputs, [output], attributes);
        return output;
    }

    /// <summary>Emits a node of several outputs and returns their names.</summary>
    string[] Steps(string opType, int outputs, string[] inputs, params ProtoMessage[] attributes)
    {
        var names = Enumerable.Range(0, outputs).Select(_ => Fresh(opType.ToLowerInvariant())).ToArray();
        Node(opType, inputs, names, attributes);
        return names;
    }

    /// <summary>A 1-D Int64 constant (shapes, axes, pads).</summary>
    string Constant(string hint, long[] values) => Int64Constant(hint, values, [values.Length]);

    /// <summary>A 0-D Int64 constant (a Gather index that drops the dim).</summary>
    string ScalarIndex(long value) => Int64Constant("index", [value], []);

    string Int64Constant(string hint, long[] values, int[] shape)
    {
        string name = Fresh(hint);
        var t = new ProtoMessage();
        foreach (var d in shape) t.Int64Always(1, d);
        t.Enum(2, DataTypeInt64).String(8, name).Bytes(9, MemoryMarshal.AsBytes(values.AsSpan()), always: true);
        Initializers.Add(t);
        return name;
    }

    /// <summary>A 0-D Float32 constant (a scalar operand).</summary>
    string ScalarConstant(string hint, float value) => FloatConstant(hint, [value], []);

    string FloatConstant(string name, float[] values, int[] shape, bool fresh = true)
    {
        if (fresh) name = Fresh(name);
        var t = new ProtoMessage();
        foreach (var d in shape) t.Int64Always(1, d);
        t.Enum(2, DataTypeFloat).String(8, name).Bytes(9, MemoryMarshal.AsBytes(values.AsSpan()), always: true);
        Initializers.Add(t);
        return name;
    }

    /// <summary>
    /// An initializer computed from a parameter (its gates reordered, a block of it transposed), once per parameter
    /// and <paramref name="tag"/>, named after the parameter.
    /// </summary>
    string Derived(Tensor source, string tag, Func<(float[] Values, int[] Shape)> compute)
    {
        if (_derived.TryGetValue((source, tag), out var name)) return name;
        string baseName = _state.TryGetValue(source, out var stateName) ? stateName : "weight";
        name = baseName + "." + tag;
        if (!_used.Add(name)) name = Fresh(name);
        var (values, shape) = compute();
        FloatConstant(name, values, shape, fresh: false);
        _derived[(source, tag)] = name;
        return name;
    }

    static ProtoMessage TensorProto(string name, Tensor t)
    {
        var proto = new ProtoMessage();
        foreach (var d in t.Shape) proto.Int64Always(1, d);
        proto.Enum(2, DataType(t)).String(8, name);
        var c = t.Detach().Contiguous();
        return t.DType == DType.Int64
            ? proto.Bytes(9, MemoryMarshal.AsBytes(c.ToInt64Array().AsSpan()), always: true)
            : proto.Bytes(9, MemoryMarshal.AsBytes(c.ToFloatArray().AsSpan()), always: true);
    }

    // AttributeProto: name (1), f (2), i (3), s (4), ints (8), strings (9), type (20): FLOAT 1, INT 2, STRING 3, INTS 7, STRINGS 8.
    static ProtoMessage FloatAttribute(string name, float value) => new ProtoMessage().String(1, name).FloatAlways(2, value).Enum(20, 1);

    static ProtoMessage IntAttribute(string name, long value) => new ProtoMessage().String(1, name).Int64Always(3, value).Enum(20, 2);

    static ProtoMessage StringAttribute(string name, string value) =>
        new ProtoMessage().String(1, name).Bytes(4, System.Text.Encoding.UTF8.GetBytes(value), always: true).Enum(20, 3);

    static ProtoMessage IntsAttribute(string name, IEnumerable<int> values)
    {
        var a = new ProtoMessage().String(1, name);
        foreach (var v in values) a.Int64Always(8, v);
        return a.Enum(20, 7);
    }

    static ProtoMessage StringsAttribute(string name, IEnumerable<string> values)
    {
        var a = new ProtoMessage().String(1, name);
        foreach (var v in values) a.Bytes(9, System.Text.Encoding.UTF8.GetBytes(v), always: true);
        return a.Enum(20, 8);
    }

    static string Format(IReadOnlyList<int> shape) => "[" + string.Join(", ", shape) + "]";

    static NotSupportedException Unsupported(TracedOp op, string why) =>
        new($"OnnxExporter: {op.Name} on {string.Join(", ", op.Inputs.Where(i => i is not null).Select(i => Format(i!.Shape)))} cannot be exported to ONNX: {why}");
}
