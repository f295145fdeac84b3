using ShapeSafe.NN;
using ShapeSafe.Tensorboard;
using ShapeSafe.Tracing;

namespace ShapeSafe.Onnx;

/// <summary>Settings of <see cref="OnnxExporter.Export(Module, Tensor[], string, OnnxExportOptions?)"/> and its compiled-graph overload.</summary>
public sealed class OnnxExportOptions
{
    /// <summary>Make dim 0 of every input and output a named, free dim (<c>batch</c>). Default true. Ignored when <see cref="DynamicAxes"/> is set.</summary>
    public bool DynamicBatch { get; set; } = true;

    /// <summary>
    /// PyTorch's <c>dynamic_axes</c>: per input or output name, the dims that are free and their names
    /// (<c>{ ["input"] = { [1] = "batch" } }</c> for a sequence-first recurrent model). Replaces <see cref="DynamicBatch"/>.
    /// </summary>
    public IReadOnlyDictionary<string, IReadOnlyDictionary<int, string>>? DynamicAxes { get; set; }

    /// <summary>The graph inputs' names; default <c>input</c> (one input) or <c>input_0</c>, <c>input_1</c>, ...</summary>
    public IReadOnlyList<string>? InputNames { get; set; }

    /// <summary>The graph output's name (one output). Default <c>output</c>.</summary>
    public string OutputName { get; set; } = "output";

    /// <summary>The graph outputs' names with <see cref="ForwardOutputs"/>; default <c>output_0</c>, <c>output_1</c>, ...</summary>
    public IReadOnlyList<string>? OutputNames { get; set; }

    /// <summary>The forward to record; default the model's <c>Forward(Tensor)</c> on the first input (<see cref="ITensorModule"/>).</summary>
    public Func<Module, Tensor[], Tensor>? Forward { get; set; }

    /// <summary>A forward of several outputs (an LSTM's output and final states), instead of <see cref="Forward"/>.</summary>
    public Func<Module, Tensor[], Tensor[]>? ForwardOutputs { get; set; }
}

/// <summary>
/// Exports a model to an ONNX file (opset 17) by recording one eager forward pass on sample inputs with the engine's
/// op-level trace (<see cref="OpTrace"/>): each traced op becomes ONNX nodes, the model's parameters and buffers that
/// the pass reads become initializers under their state-dict names. The layers (linear, convolutions, pooling,
/// normalization, embedding, recurrent, attention, resampling, padding, activations) and the tensor ops of a custom
/// forward (arithmetic, matrix products, views, reductions, softmax, concatenation) are supported; docs/training.md
/// has the table. The model runs in eval mode during the pass and gets its mode back.
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
        CheckTarget(sampleInputs, path);
        options ??= new OnnxExportOptions();
        var forward = ForwardOf(options, model as ITensorModule,
            $"OnnxExporter: {model.GetType().Name} has no Forward(Tensor); set OnnxExportOptions.Forward", nameof(model));
        Write(model, forward, sampleInputs, path, options);
    }

    /// <summary>
    /// Records the compiled graph <paramref name="compiled"/> (<c>model.Compile()</c>) on <paramref name="sampleInputs"/>
    /// and writes the ONNX model of its module to <paramref name="path"/>. The graph was captured from the module's
    /// <c>Forward</c> at build time, and under the recorder it runs that <c>Forward</c> (its trace guard), so the file
    /// holds the same ops as the module's eager export; the fusions are the compiled kernels' business, and ONNX
    /// Runtime makes its own. <see cref="OnnxExportOptions.Forward"/> and <see cref="OnnxExportOptions.ForwardOutputs"/>
    /// receive the module.
    /// </summary>
    /// <exception cref="NotSupportedException">The forward ran an op the exporter cannot write; the message names it.</exception>
    public static void Export(CompiledModule compiled, Tensor[] sampleInputs, string path, OnnxExportOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(compiled);
        CheckTarget(sampleInputs, path);
        options ??= new OnnxExportOptions();
        var forward = ForwardOf(options, compiled as ITensorModule,
            $"OnnxExporter: {compiled.Module.GetType().Name}'s compiled Forward takes more than one tensor; set OnnxExportOptions.Forward", nameof(compiled));
        Write(compiled.Module, forward, sampleInputs, path, options);
    }

    static void CheckTarget(Tensor[] sampleInputs, string path)
    {
        ArgumentNullException.ThrowIfNull(sampleInputs);
        ArgumentNullException.ThrowIfNull(path);
        if (sampleInputs.Length == 0) throw new ArgumentException("OnnxExporter: give at least one sample input", nameof(sampleInputs));
    }

    /// <summary>The pass to record: the options' forward, else <paramref name="single"/>'s one-tensor <c>Forward</c>, else an error.</summary>
    static Func<Module, Tensor[], Tensor[]> ForwardOf(OnnxExportOptions options, ITensorModule? single, string noForward, string parameter) =>
        options.ForwardOutputs
        ?? (options.Forward is { } forward ? (m, xs) => [forward(m, xs)]
        : single is not null ? (_, xs) => [single.Forward(xs[0])]
        : throw new ArgumentException(noForward, parameter));

    static void Write(Module model, Func<Module, Tensor[], Tensor[]> forward, Tensor[] sampleInputs, string path, OnnxExportOptions options)
    {
        // Float inputs require grad during the pass so that any op without a trace hook leaves a GradFn that names it.
        var inputs = sampleInputs.Select(x =>
        {
            var t = x.Detach().Clone();
            if (t.DType == DType.Float32) t.RequiresGrad = true;
            return t;
        }).ToArray();
        var recorder = new Recorder();
        bool training = model.Training;
        model.Eval();
        Tensor[] outputs;
        try
        {
            using (OpTrace.Begin(recorder)) outputs = forward(model, inputs);
        }
        finally
        {
            model.Train(training);
        }

        var inputNames = options.InputNames?.ToArray() ?? (inputs.Length == 1 ? ["input"] : inputs.Select((_, i) => $"input_{i}").ToArray());
        if (inputNames.Length != inputs.Length)
            throw new ArgumentException($"OnnxExporter: {inputNames.Length} input names for {inputs.Length} inputs", nameof(options));
        var outputNames = options.OutputNames?.ToArray()
            ?? (options.ForwardOutputs is null ? [options.OutputName] : outputs.Select((_, i) => $"output_{i}").ToArray());
        if (outputNames.Length != outputs.Length)
            throw new ArgumentException($"OnnxExporter: {outputNames.Length} output names for {outputs.Length} outputs", nameof(options));

        var graph = new OnnxGraph(model);
        for (int i = 0; i < inputs.Length; i++) graph.Name(inputs[i], inputNames[i]);
        foreach (var op in recorder.Ops) graph.Add(op);
        for (int i = 0; i < outputs.Length; i++)
        {
            // An output that is an input, or the same value twice, still gets a node of its own name.
            string value = graph.NameOf(outputs[i], "the model's output");
            if (value != outputNames[i]) graph.Node("Identity", [value], [outputNames[i]]);
        }

        var graphProto = new ProtoMessage();
        foreach (var node in graph.Nodes) graphProto.Message(1, node);
        graphProto.String(2, "shapesafe_graph");
        foreach (var init in graph.Initializers) graphProto.Message(5, init);
        for (int i = 0; i < inputs.Length; i++)
            graphProto.Message(11, ValueInfo(inputNames[i], inputs[i], FreeDims(options, inputNames[i], inputs[i].Rank)));
        for (int i = 0; i < outputs.Length; i++)
            graphProto.Message(12, ValueInfo(outputNames[i], outputs[i], FreeDims(options, outputNames[i], outputs[i].Rank)));

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

    static IReadOnlyDictionary<int, string> FreeDims(OnnxExportOptions options, string name, int rank)
    {
        if (options.DynamicAxes is { } axes)
        {
            if (!axes.TryGetValue(name, out var dims)) return new Dictionary<int, string>();
            foreach (var d in dims.Keys)
                if (d < 0 || d >= rank)
                    throw new ArgumentException($"OnnxExporter: dynamic axis {d} of '{name}' is outside its {rank} dims", nameof(options));
            return dims;
        }
        return options.DynamicBatch && rank > 0 ? new Dictionary<int, string> { [0] = "batch" } : new Dictionary<int, string>();
    }

    static ProtoMessage ValueInfo(string name, Tensor value, IReadOnlyDictionary<int, string> freeDims)
    {
        var dims = new ProtoMessage();
        for (int d = 0; d < value.Rank; d++)
            dims.Message(1, freeDims.TryGetValue(d, out var dimName)
                ? new ProtoMessage().String(2, dimName)
                : new ProtoMessage().Int64Always(1, value.Shape[d]));
        var tensorType = new ProtoMessage().Enum(1, OnnxGraph.DataType(value)).Message(2, dims);
        return new ProtoMessage().String(1, name).Message(2, new ProtoMessage().Message(1, tensorType));
    }

    sealed class Recorder : IOpTracer
    {
        public List<TracedOp> Ops { get; } = [];

        public void Record(TracedOp op) => Ops.Add(op);
    }
}
