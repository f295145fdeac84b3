using System.Runtime.InteropServices;
using ShapeSafe.NN;
using ShapeSafe.Tensorboard;
using ShapeSafe.Tracing;

namespace ShapeSafe.Onnx;

/// <summary>Settings of <see cref="OnnxExporter.Export"/>.</summary>
public sealed class OnnxExportOptions
{
    /// <summary>Make dim 0 of every input and of the output a named, free dim (<c>batch</c>), as PyTorch's <c>dynamic_axes</c>. Default true.</summary>
    public bool DynamicBatch { get; set; } = true;

    /// <summary>The graph inputs' names; default <c>input</c> (one input) or <c>input_0</c>, <c>input_1</c>, ...</summary>
    public IReadOnlyList<string>? InputNames { get; set; }

    /// <summary>The graph output's name. Default <c>output</c>.</summary>
    public string OutputName { get; set; } = "output";

    /// <summary>The forward to record; default the model's <c>Forward(Tensor)</c> on the first input (<see cref="ITensorModule"/>).</summary>
    public Func<Module, Tensor[], Tensor>? Forward { get; set; }
}

/// <summary>
/// Exports a model to an ONNX file (opset 17) by recording one eager forward pass on sample inputs with the engine's
/// op-level trace (<see cref="OpTrace"/>): each traced op becomes ONNX nodes, the model's parameters and buffers that
/// the pass reads become initializers under their state-dict names. Supported: <c>Linear</c> (fused with ReLU or GELU
/// too), <c>Conv2d</c> (and the fused Conv2d + ReLU (+ MaxPool2d)), <c>MaxPool2d</c>, <c>AvgPool2d</c>, <c>ReLU</c>,
/// <c>LeakyReLU</c>, <c>Sigmoid</c>, <c>Tanh</c>, <c>Flatten</c>, and modules that are the identity in eval mode
/// (<c>Dropout</c>). The model runs in eval mode during the pass and gets its mode back.
/// </summary>
public static class OnnxExporter
{
    /// <summary>The ONNX operator set the exporter writes.</summary>
    public const int Opset = 17;

    /// <summary>Records <paramref name="model"/> on <paramref name="sampleInputs"/> and writes the ONNX model to <paramref name="path"/>.</summary>
    /// <exception cref="NotSupportedException">The forward ran an op the exporter cannot write; the message names it.</exception>
    public static void Export(Module model, Tensor[] sampleInputs, string path, OnnxExportOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(sampleInputs);
        ArgumentNullException.ThrowIfNull(path);
        if (sampleInputs.Length == 0) throw new ArgumentException("OnnxExporter: give at least one sample input", nameof(sampleInputs));
        options ??= new OnnxExportOptions();
        var forward = options.Forward ?? (model is ITensorModule
            ? static (m, xs) => ((ITensorModule)m).Forward(xs[0])
            : throw new ArgumentException($"OnnxExporter: {model.GetType().Name} has no Forward(Tensor); set OnnxExportOptions.Forward", nameof(model)));

        // The inputs require grad during the pass so that any op without a trace hook leaves a GradFn that names it.
        var inputs = sampleInputs.Select(x => { var t = x.Detach().Clone(); t.RequiresGrad = true; return t; }).ToArray();
        var recorder = new Recorder();
        bool training = model.Training;
        model.Eval();
        Tensor output;
        try
        {
            using (OpTrace.Begin(recorder)) output = forward(model, inputs);
        }
        finally
        {
            model.Train(training);
        }

        var inputNames = options.InputNames?.ToArray() ?? (inputs.Length == 1 ? ["input"] : inputs.Select((_, i) => $"input_{i}").ToArray());
        if (inputNames.Length != inputs.Length)
            throw new ArgumentException($"OnnxExporter: {inputNames.Length} input names for {inputs.Length} inputs", nameof(options));
        var graph = new GraphBuilder(model);
        for (int i = 0; i < inputs.Length; i++) graph.Name(inputs[i], inputNames[i]);
        foreach (var op in recorder.Ops) graph.Add(op);
        string outputValue = graph.NameOf(output, "the model's output");
        if (outputValue != options.OutputName) graph.Node("Identity", [outputValue], [options.OutputName]);

        var graphProto = new ProtoMessage();
        foreach (var node in graph.Nodes) graphProto.Message(1, node);
        graphProto.String(2, "shapesafe_graph");
        foreach (var init in graph.Initializers) graphProto.Message(5, init);
        for (int i = 0; i < inputs.Length; i++)
            graphProto.Message(11, ValueInfo(inputNames[i], inputs[i].Shape, options.DynamicBatch));
        graphProto.Message(12, ValueInfo(options.OutputName, output.Shape, options.DynamicBatch));

        var modelProto = new ProtoMessage()
            .Int64(1, 8) // IR version 8 goes with opset 17.
            .String(2, "ShapeSafe")
            .String(3, typeof(OnnxExporter).Assembly.GetName().Version?.ToString() ?? "")
            .Message(7, graphProto)
            .Message(8, new ProtoMessage().String(1, "").Int64(2, Opset));
        string temp = path + ".tmp";
        File.WriteAllBytes(temp, modelProto.ToArray());
        File.Move(temp, path, overwrite: true);
    }

    static ProtoMessage ValueInfo(string name, IReadOnlyList<int> shape, bool dynamicBatch)
    {
        var dims = new ProtoMessage();
        for (int d = 0; d < shape.Count; d++)
            dims.Message(1, d == 0 && dynamicBatch ? new ProtoMessage().String(2, "batch") : new ProtoMessage().Int64Always(1, shape[d]));
        var tensorType = new ProtoMessage().Enum(1, DataTypeFloat).Message(2, dims);
        return new ProtoMessage().String(1, name).Message(2, new ProtoMessage().Message(1, tensorType));
    }

    internal const int DataTypeFloat = 1, DataTypeInt64 = 7;

    sealed class Recorder : IOpTracer
    {
        public List<TracedOp> Ops { get; } = [];

        public void Record(TracedOp op) => Ops.Add(op);
    }

    /// <summary>Turns traced ops into ONNX nodes, naming values and collecting initializers.</summary>
    sealed class GraphBuilder
    {
        readonly Dictionary<Tensor, string> _names = new(ReferenceEqualityComparer.Instance);
        readonly Dictionary<Tensor, string> _state = new(ReferenceEqualityComparer.Instance);
        readonly HashSet<string> _used = new(StringComparer.Ordinal);
        int _counter;

        public GraphBuilder(Module model)
        {
            foreach (var (name, p) in model.NamedParameters()) _state[p] = name;
            foreach (var (name, b) in model.NamedBuffers()) _state.TryAdd(b, name);
        }

        public List<ProtoMessage> Nodes { get; } = [];

        public List<ProtoMessage> Initializers { get; } = [];

        public void Name(Tensor t, string name) => _names[t] = name;

        /// <summary>The value name of a tensor the graph knows: an input, an op's output, or a parameter (added as an initializer).</summary>
        public string NameOf(Tensor t, string usedBy)
        {
            if (_names.TryGetValue(t, out var name)) return name;
            if (_state.TryGetValue(t, out var stateName))
            {
                Initializers.Add(TensorProto(stateName, t));
                _names[t] = stateName;
                return stateName;
            }
            throw new NotSupportedException(t.GradFn is { } fn
                ? $"OnnxExporter: {usedBy} reads a tensor {Format(t.Shape)} made by an op that cannot be exported to ONNX: {fn} (exportable: Linear, Conv2d, MaxPool2d, AvgPool2d, ReLU, LeakyReLU, Sigmoid, Tanh, Flatten)"
                : $"OnnxExporter: {usedBy} reads a tensor {Format(t.Shape)} that is neither an input, a parameter or buffer of the model, nor made by an exportable op (a constant made inside Forward cannot be exported)");
        }

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

        string Constant(string hint, long[] values)
        {
            string name = Fresh(hint);
            var t = new ProtoMessage();
            t.Int64Always(1, values.Length).Enum(2, DataTypeInt64).String(8, name).Bytes(9, MemoryMarshal.AsBytes(values.AsSpan()), always: true);
            Initializers.Add(t);
            return name;
        }

        string ScalarConstant(string hint, float value)
        {
            string name = Fresh(hint);
            Initializers.Add(new ProtoMessage().Enum(2, DataTypeFloat).String(8, name).Bytes(9, MemoryMarshal.AsBytes(new[] { value }.AsSpan()), always: true));
            return name;
        }

        /// <summary>Emits <paramref name="opType"/> on <paramref name="inputs"/> into a new value and returns its name.</summary>
        string Step(string opType, string[] inputs, params ProtoMessage[] attributes)
        {
            string output = Fresh(opType.ToLowerInvariant());
            Node(opType, inputs, [output], attributes);
            return output;
        }

        public void Add(TracedOp op)
        {
            string In(int i) => NameOf(op.Inputs[i]!, op.Name);
            string[] Operands(int count) => Enumerable.Range(0, count).Where(i => op.Inputs[i] is not null).Select(In).ToArray();
            T Attr<T>(string name) => (T)op.Attributes[name];
            string result = op.Name switch
            {
                "Relu" => Step("Relu", [In(0)]),
                "Sigmoid" => Step("Sigmoid", [In(0)]),
                "Tanh" => Step("Tanh", [In(0)]),
                "LeakyRelu" => Step("LeakyRelu", [In(0)], FloatAttribute("alpha", (float)Attr<double>("negativeSlope"))),
                "Flatten" => Flatten(op),
                "Linear" => Linear(op, Operands(3)),
                "Conv2d" => Conv(Operands(3), op, relu: Attr<bool>("relu")),
                "Conv2dReluMaxPool" => Pool("MaxPool", Conv(Operands(3), op, relu: true), Attr<int[]>("poolKernel"), Attr<int[]>("poolStride"),
                    Attr<int[]>("poolPadding"), IntsAttribute("dilations", Attr<int[]>("poolDilation"))),
                "MaxPool2d" => Pool("MaxPool", In(0), Attr<int[]>("kernel"), Attr<int[]>("stride"), Attr<int[]>("padding"),
                    IntsAttribute("dilations", Attr<int[]>("dilation"))),
                "AvgPool2d" => Pool("AveragePool", In(0), Attr<int[]>("kernel"), Attr<int[]>("stride"), Attr<int[]>("padding"),
                    IntAttribute("count_include_pad", Attr<bool>("countIncludePad") ? 1 : 0)),
                _ => throw new NotSupportedException($"OnnxExporter: the op {op.Name} cannot be exported to ONNX"),
            };
            if (ReferenceEquals(op.Output, op.Inputs[0]))
                return;
            _names[op.Output] = result;
        }

        string Flatten(TracedOp op)
        {
            var input = op.Inputs[0]!;
            if (ReferenceEquals(op.Output, input)) return NameOf(input, "Flatten");
            int rank = input.Rank;
            int start = (int)op.Attributes["startDim"], end = (int)op.Attributes["endDim"];
            if (start < 0) start += rank;
            if (end < 0) end += rank;
            // Reshape to [0 (copied) × start, -1, the sizes after end]: dim 0 stays free for a dynamic batch.
            var shape = new List<long>();
            for (int d = 0; d < start; d++) shape.Add(0);
            shape.Add(-1);
            for (int d = end + 1; d < rank; d++) shape.Add(input.Shape[d]);
            return Step("Reshape", [NameOf(input, "Flatten"), Constant("shape", shape.ToArray())]);
        }

        string Linear(TracedOp op, string[] operands)
        {
            var input = op.Inputs[0]!;
            string y;
            if (input.Rank == 2)
            {
                y = Step("Gemm", operands, IntAttribute("transB", 1));
            }
            else
            {
                string wt = Step("Transpose", [operands[1]], IntsAttribute("perm", [1, 0]));
                y = Step("MatMul", [operands[0], wt]);
                if (operands.Length == 3) y = Step("Add", [y, operands[2]]);
            }
            return (string)op.Attributes["activation"] switch
            {
                "relu" => Step("Relu", [y]),
                // Exact GELU, 0.5·x·(1 + erf(x/√2)): opset 17 has no Gelu node.
                "gelu" => Step("Mul", [Step("Mul", [y, Step("Add", [Step("Erf", [Step("Div", [y, ScalarConstant("sqrt2", MathF.Sqrt(2))])]),
                    ScalarConstant("one", 1)])]), ScalarConstant("half", 0.5f)]),
                _ => y,
            };
        }

        string Conv(string[] operands, TracedOp op, bool relu)
        {
            var weight = op.Inputs[1]!;
            var padding = (int[])op.Attributes["padding"];
            string y = Step("Conv", operands,
                IntsAttribute("kernel_shape", [weight.Shape[2], weight.Shape[3]]),
                IntsAttribute("strides", (int[])op.Attributes["stride"]),
                IntsAttribute("pads", [padding[0], padding[1], padding[0], padding[1]]),
                IntsAttribute("dilations", (int[])op.Attributes["dilation"]),
                IntAttribute("group", (int)op.Attributes["groups"]));
            return relu ? Step("Relu", [y]) : y;
        }

        string Pool(string opType, string input, int[] kernel, int[] stride, int[] padding, ProtoMessage extra) =>
            Step(opType, [input], IntsAttribute("kernel_shape", kernel), IntsAttribute("strides", stride),
                IntsAttribute("pads", [padding[0], padding[1], padding[0], padding[1]]), extra);

        static ProtoMessage TensorProto(string name, Tensor t)
        {
            var data = t.Contiguous().ToFloatArray();
            var proto = new ProtoMessage();
            foreach (var d in t.Shape) proto.Int64Always(1, d);
            return proto.Enum(2, DataTypeFloat).String(8, name).Bytes(9, MemoryMarshal.AsBytes(data.AsSpan()), always: true);
        }

        // AttributeProto: name (1), f (2), i (3), ints (8), type (20): FLOAT 1, INT 2, INTS 7.
        static ProtoMessage FloatAttribute(string name, float value) => new ProtoMessage().String(1, name).FloatAlways(2, value).Enum(20, 1);

        static ProtoMessage IntAttribute(string name, long value) => new ProtoMessage().String(1, name).Int64Always(3, value).Enum(20, 2);

        static ProtoMessage IntsAttribute(string name, int[] values)
        {
            var a = new ProtoMessage().String(1, name);
            foreach (var v in values) a.Int64Always(8, v);
            return a.Enum(20, 7);
        }

        static string Format(IReadOnlyList<int> shape) => "[" + string.Join(", ", shape) + "]";
    }
}
