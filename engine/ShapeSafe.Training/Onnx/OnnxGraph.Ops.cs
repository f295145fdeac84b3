using ShapeSafe.Tensorboard;
using ShapeSafe.Tracing;

namespace ShapeSafe.Onnx;

// The translation of element-wise ops, views, reductions and the single-output layers.
internal sealed partial class OnnxGraph
{
    public void Add(TracedOp op)
    {
        string In(int i) => NameOf(op.Inputs[i]!, op.Name);
        string[] Operands(int count) => Enumerable.Range(0, count).Where(i => op.Inputs[i] is not null).Select(In).ToArray();
        T Attr<T>(string name) => (T)op.Attributes[name];

        if (op.Name is "RNN" or "LSTM" or "GRU")
        {
            NameOutputs(op, Recurrent(op));
            return;
        }
        if (op.Name == "MultiheadAttention")
        {
            NameOutputs(op, Attention(op));
            return;
        }
        // A view that changed nothing (a squeeze of a dim that is not 1, a dropout in eval) is its input.
        if (ReferenceEquals(op.Output, op.Inputs[0]))
            return;
        string result = op.Name switch
        {
            "Relu" or "Sigmoid" or "Tanh" or "Neg" or "Exp" or "Log" or "Sqrt" => Step(op.Name, [In(0)]),
            "Hardswish" => Step("HardSwish", [In(0)]),
            "LeakyRelu" => Step("LeakyRelu", [In(0)], FloatAttribute("alpha", (float)Attr<double>("negativeSlope"))),
            "Gelu" => Gelu(In(0)),
            "Silu" => Step("Mul", [In(0), Step("Sigmoid", [In(0)])]),
            "Mish" => Step("Mul", [In(0), Step("Tanh", [Step("Softplus", [In(0)])])]),
            "Softplus" => Softplus(In(0), Attr<double>("beta"), Attr<double>("threshold")),
            "Add" or "Sub" or "Mul" or "Div" or "Pow" => Step(op.Name, Promoted(op, [In(0), In(1)])),
            "Maximum" => Step("Max", Promoted(op, [In(0), In(1)])),
            "Minimum" => Step("Min", Promoted(op, [In(0), In(1)])),
            "AddScalar" or "SubScalar" or "MulScalar" or "DivScalar" or "PowScalar" or "MaxScalar" or "MinScalar" => ScalarArithmetic(op, In(0)),
            "Matmul" => Step("MatMul", [In(0), In(1)]),
            "Softmax" or "LogSoftmax" => Step(op.Name, [In(0)], IntAttribute("axis", Axis(Attr<int>("dim"), op.Inputs[0]!.Rank))),
            "Sum" or "Mean" => Reduce(op, In(0)),
            "Reshape" => Reshape(In(0), op.Inputs[0]!, op.Output),
            "Flatten" => Reshape(In(0), op.Inputs[0]!, op.Output),
            "Squeeze" => Squeeze(op, In(0)),
            "Unsqueeze" => Step("Unsqueeze", [In(0), Constant("axes", [Axis(Attr<int>("dim"), op.Inputs[0]!.Rank + 1)])]),
            "Transpose" => Transpose(op, In(0)),
            "Permute" => Step("Transpose", [In(0)], IntsAttribute("perm", Attr<int[]>("dims").Select(d => Axis(d, op.Inputs[0]!.Rank)))),
            "Expand" => Expand(In(0), op.Inputs[0]!, op.Output),
            "Select" => Step("Gather", [In(0), ScalarIndex(Attr<int>("index"))], IntAttribute("axis", Axis(Attr<int>("dim"), op.Inputs[0]!.Rank))),
            "Slice" => Slice(op, In(0)),
            "Cat" => Step("Concat", Operands(op.Inputs.Count), IntAttribute("axis", Axis(Attr<int>("dim"), op.Inputs[0]!.Rank))),
            "Linear" => Linear(op, Operands(3)),
            "Conv2d" => Conv(Operands(3), op, relu: Attr<bool>("relu")),
            "Conv2dReluMaxPool" => Pool("MaxPool", Conv(Operands(3), op, relu: true), Attr<int[]>("poolKernel"), Attr<int[]>("poolStride"),
                Attr<int[]>("poolPadding"), IntsAttribute("dilations", Attr<int[]>("poolDilation"))),
            "MaxPool2d" => Pool("MaxPool", In(0), Attr<int[]>("kernel"), Attr<int[]>("stride"), Attr<int[]>("padding"),
                IntsAttribute("dilations", Attr<int[]>("dilation"))),
            "AvgPool2d" => Pool("AveragePool", In(0), Attr<int[]>("kernel"), Attr<int[]>("stride"), Attr<int[]>("padding"),
                IntAttribute("count_include_pad", Attr<bool>("countIncludePad") ? 1 : 0)),
            "Conv1d" => WithBatch(In(0), op.Inputs[0]!.Rank == 2, x => Step("Conv", [x, .. Operands(3)[1..]],
                IntsAttribute("kernel_shape", [op.Inputs[1]!.Shape[2]]), IntsAttribute("strides", [Attr<int>("stride")]),
                IntsAttribute("pads", [Attr<int>("padding"), Attr<int>("padding")]), IntsAttribute("dilations", [Attr<int>("dilation")]),
                IntAttribute("group", Attr<int>("groups")))),
            "ConvTranspose2d" => WithBatch(In(0), op.Inputs[0]!.Rank == 3, x => ConvTranspose(op, [x, .. Operands(3)[1..]])),
            "AdaptiveAvgPool2d" => WithBatch(In(0), op.Inputs[0]!.Rank == 3, x => AdaptiveAvgPool(op, x)),
            "BatchNorm" => BatchNorm(op),
            "LayerNorm" => LayerNorm(op),
            "GroupNorm" => GroupNorm(op),
            "Embedding" => Step("Gather", [In(1), In(0)], IntAttribute("axis", 0)),
            "Pad" => Pad(op, In(0)),
            "Interpolate" => Resize(op, In(0)),
            "PixelShuffle" => op.Inputs[0]!.Rank is 3 or 4
                ? WithBatch(In(0), op.Inputs[0]!.Rank == 3, x => Step("DepthToSpace", [x], IntAttribute("blocksize", Attr<int>("upscaleFactor")),
                    StringAttribute("mode", "CRD")))
                : throw Unsupported(op, "DepthToSpace takes [N, C, H, W]"),
            _ => throw new NotSupportedException($"OnnxExporter: the op {op.Name} cannot be exported to ONNX (exportable: {Exportable})"),
        };
        _names[op.Output] = result;
    }

    void NameOutputs(TracedOp op, string[] values)
    {
        for (int i = 0; i < op.Outputs.Count; i++) _names.TryAdd(op.Outputs[i], values[i]);
    }

    static int Axis(int dim, int rank) => dim < 0 ? dim + rank : dim;

    /// <summary>The operands of a binary op, Int64 ones cast to Float32 when the result is Float32 (PyTorch promotes, ONNX does not).</summary>
    string[] Promoted(TracedOp op, string[] operands)
    {
        if (op.Output.DType != DType.Float32) return operands;
        return operands.Select((name, i) => op.Inputs[i]!.DType == DType.Float32 ? name : Step("Cast", [name], IntAttribute("to", DataTypeFloat))).ToArray();
    }

    string ScalarArithmetic(TracedOp op, string x)
    {
        float value = (float)(double)op.Attributes["scalar"];
        string scalar = op.Output.DType == DType.Int64 ? Int64Constant("scalar", [(long)value], []) : ScalarConstant("scalar", value);
        if (op.Output.DType == DType.Float32 && op.Inputs[0]!.DType != DType.Float32) x = Step("Cast", [x], IntAttribute("to", DataTypeFloat));
        string onnx = op.Name[..^"Scalar".Length];
        return Step(onnx, (bool)op.Attributes["scalarFirst"] ? [scalar, x] : [x, scalar]);
    }

    // Exact GELU, 0.5·x·(1 + erf(x/√2)): opset 17 has no Gelu node.
    string Gelu(string y) =>
        Step("Mul", [Step("Mul", [y, Step("Add", [Step("Erf", [Step("Div", [y, ScalarConstant("sqrt2", MathF.Sqrt(2))])]),
            ScalarConstant("one", 1)])]), ScalarConstant("half", 0.5f)]);

    // PyTorch's softplus: log(1 + e^(βx)) / β, and x itself where βx > threshold.
    string Softplus(string x, double beta, double threshold)
    {
        string scaled = beta == 1 ? x : Step("Mul", [x, ScalarConstant("beta", (float)beta)]);
        string soft = Step("Softplus", [scaled]);
        if (beta != 1) soft = Step("Div", [soft, ScalarConstant("beta", (float)beta)]);
        return Step("Where", [Step("Greater", [scaled, ScalarConstant("threshold", (float)threshold)]), x, soft]);
    }

    string Reduce(TracedOp op, string x)
    {
        var dims = ((int[])op.Attributes["dims"]).Select(d => (long)Axis(d, op.Inputs[0]!.Rank)).ToArray();
        var keep = IntAttribute("keepdims", (bool)op.Attributes["keepDim"] ? 1 : 0);
        if (op.Name == "Sum")
            return dims.Length == 0 ? Step("ReduceSum", [x], keep) : Step("ReduceSum", [x, Constant("axes", dims)], keep);
        return dims.Length == 0 ? Step("ReduceMean", [x], keep) : Step("ReduceMean", [x], keep, IntsAttribute("axes", dims.Select(d => (int)d)));
    }

    /// <summary>
    /// A reshape to the output's shape. The leading dims it keeps are written as 0 (copy the input's), so a free batch
    /// dim stays free; the others are the sample's sizes.
    /// </summary>
    string Reshape(string x, Tensor input, Tensor output)
    {
        var shape = new long[output.Rank];
        bool leading = true;
        for (int d = 0; d < shape.Length; d++)
        {
            leading &= d < input.Rank && input.Shape[d] == output.Shape[d];
            shape[d] = leading ? 0 : output.Shape[d];
        }
        return Step("Reshape", [x, Constant("shape", shape)]);
    }

    string Squeeze(TracedOp op, string x)
    {
        var input = op.Inputs[0]!;
        var axes = op.Attributes.TryGetValue("dim", out var dim)
            ? new[] { (long)Axis((int)dim, input.Rank) }.Where(d => input.Shape[(int)d] == 1).ToArray()
            : Enumerable.Range(0, input.Rank).Where(d => input.Shape[d] == 1).Select(d => (long)d).ToArray();
        return axes.Length == 0 ? Step("Identity", [x]) : Step("Squeeze", [x, Constant("axes", axes)]);
    }

    string Unsqueeze(string x, int axis) => Step("Unsqueeze", [x, Constant("axes", [axis])]);

    string SqueezeAxis(string x, int axis) => Step("Squeeze", [x, Constant("axes", [axis])]);

    string Transpose(TracedOp op, string x)
    {
        int rank = op.Inputs[0]!.Rank;
        var perm = Enumerable.Range(0, rank).ToArray();
        int a = Axis((int)op.Attributes["dim0"], rank), b = Axis((int)op.Attributes["dim1"], rank);
        (perm[a], perm[b]) = (perm[b], perm[a]);
        return Step("Transpose", [x], IntsAttribute("perm", perm));
    }

    string TransposeTo(string x, params int[] perm) => Step("Transpose", [x], IntsAttribute("perm", perm));

    // Expand broadcasts as ONNX does: 1 keeps the input's size, so a free batch dim stays free.
    string Expand(string x, Tensor input, Tensor output)
    {
        var shape = new long[output.Rank];
        int lead = output.Rank - input.Rank;
        for (int d = 0; d < shape.Length; d++)
            shape[d] = d >= lead && input.Shape[d - lead] == output.Shape[d] ? 1 : output.Shape[d];
        return Step("Expand", [x, Constant("shape", shape)]);
    }

    string Slice(TracedOp op, string x)
    {
        var input = op.Inputs[0]!;
        int dim = Axis((int)op.Attributes["dim"], input.Rank), size = input.Shape[dim];
        int start = (int)op.Attributes["start"], end = (int)op.Attributes["end"], step = (int)op.Attributes["step"];
        // Python's clamping; a slice to the end (or from a negative start) stays one whatever the dim's length, so a
        // full slice of a free dim keeps it free. Other bounds are those that give the output's length.
        int clamped = Math.Clamp(start < 0 ? start + size : start, 0, size);
        long onnxStart = start < 0 && end >= size ? start : clamped;
        long onnxEnd = end >= size ? long.MaxValue : end < 0 ? end : clamped + (long)(op.Output.Shape[dim] - 1) * step + 1;
        return Step("Slice", [x, Constant("starts", [onnxStart]), Constant("ends", [onnxEnd]), Constant("axes", [dim]), Constant("steps", [step])]);
    }

    /// <summary>Runs <paramref name="body"/> on <paramref name="x"/> with a batch dim of 1 added when the input has none.</summary>
    string WithBatch(string x, bool unbatched, Func<string, string> body) =>
        unbatched ? SqueezeAxis(body(Unsqueeze(x, 0)), 0) : body(x);

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
            "gelu" => Gelu(y),
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

    string ConvTranspose(TracedOp op, string[] operands)
    {
        var weight = op.Inputs[1]!;
        var padding = (int[])op.Attributes["padding"];
        return Step("ConvTranspose", operands,
            IntsAttribute("kernel_shape", [weight.Shape[2], weight.Shape[3]]),
            IntsAttribute("strides", (int[])op.Attributes["stride"]),
            IntsAttribute("pads", [padding[0], padding[1], padding[0], padding[1]]),
            IntsAttribute("output_padding", (int[])op.Attributes["outputPadding"]),
            IntsAttribute("dilations", (int[])op.Attributes["dilation"]),
            IntAttribute("group", (int)op.Attributes["groups"]));
    }

    string Pool(string opType, string input, int[] kernel, int[] stride, int[] padding, ProtoMessage extra) =>
        Step(opType, [input], IntsAttribute("kernel_shape", kernel), IntsAttribute("strides", stride),
            IntsAttribute("pads", [padding[0], padding[1], padding[0], padding[1]]), extra);

    // ONNX pools with one window size: adaptive windows export when they all have it (the size divides evenly).
    string AdaptiveAvgPool(TracedOp op, string x)
    {
        var input = op.Inputs[0]!;
        int h = input.Shape[^2], w = input.Shape[^1], oh = op.Output.Shape[^2], ow = op.Output.Shape[^1];
        if (oh == 1 && ow == 1) return Step("GlobalAveragePool", [x]);
        if (h % oh != 0 || w % ow != 0)
            throw Unsupported(op, $"the windows of an output of {oh}x{ow} over {h}x{w} differ in size, and ONNX's AveragePool has one window size");
        return Pool("AveragePool", x, [h / oh, w / ow], [h / oh, w / ow], [0, 0], IntAttribute("count_include_pad", 0));
    }

    string BatchNorm(TracedOp op)
    {
        if ((bool)op.Attributes["training"] || op.Inputs[1] is null)
            throw Unsupported(op, "it normalizes by the batch's statistics (training mode, or track_running_stats=False); export in eval mode with running statistics");
        var input = op.Inputs[0]!;
        int channels = input.Shape[1];
        string scale = op.Inputs[3] is { } w ? NameOf(w, op.Name) : FloatConstant("ones", Enumerable.Repeat(1f, channels).ToArray(), [channels]);
        string bias = op.Inputs[4] is { } b ? NameOf(b, op.Name) : FloatConstant("zeros", new float[channels], [channels]);
        return Step("BatchNormalization", [NameOf(input, op.Name), scale, bias, NameOf(op.Inputs[1]!, op.Name), NameOf(op.Inputs[2]!, op.Name)],
            FloatAttribute("epsilon", (float)(double)op.Attributes["eps"]));
    }

    string LayerNorm(TracedOp op)
    {
        var normalized = (int[])op.Attributes["normalizedShape"];
        int count = normalized.Aggregate(1, (a, b) => a * b);
        string scale = op.Inputs[1] is { } w ? NameOf(w, op.Name) : FloatConstant("ones", Enumerable.Repeat(1f, count).ToArray(), normalized);
        string[] inputs = op.Inputs[2] is { } b ? [NameOf(op.Inputs[0]!, op.Name), scale, NameOf(b, op.Name)] : [NameOf(op.Inputs[0]!, op.Name), scale];
        return Step("LayerNormalization", inputs, IntAttribute("axis", -normalized.Length),
            FloatAttribute("epsilon", (float)(double)op.Attributes["eps"]));
    }

    // Group norm as reductions (opset 17 has no GroupNormalization): per sample and group, (x - mean)·rsqrt(var + eps).
    string GroupNorm(TracedOp op)
    {
        var input = op.Inputs[0]!;
        string x = NameOf(input, op.Name);
        int groups = (int)op.Attributes["numGroups"];
        string grouped = Step("Reshape", [x, Constant("shape", [0, groups, -1])]);
        var axes = IntsAttribute("axes", [2]);
        var keep = IntAttribute("keepdims", 1);
        string centered = Step("Sub", [grouped, Step("ReduceMean", [grouped], axes, keep)]);
        string variance = Step("ReduceMean", [Step("Mul", [centered, centered])], axes, keep);
        string rsqrt = Step("Reciprocal", [Step("Sqrt", [Step("Add", [variance, ScalarConstant("eps", (float)(double)op.Attributes["eps"])])])]);
        string y = Step("Reshape", [Step("Mul", [centered, rsqrt]), Step("Shape", [x])]);
        // weight and bias as [C, 1, ..., 1] against [N, C, *].
        var perChannel = Enumerable.Repeat(1L, input.Rank - 1).ToArray();
        perChannel[0] = input.Shape[1];
        if (op.Inputs[1] is { } weight) y = Step("Mul", [y, Step("Reshape", [NameOf(weight, op.Name), Constant("shape", perChannel)])]);
        if (op.Inputs[2] is { } bias) y = Step("Add", [y, Step("Reshape", [NameOf(bias, op.Name), Constant("shape", perChannel)])]);
        return y;
    }

    string Pad(TracedOp op, string x)
    {
        var input = op.Inputs[0]!;
        var pad = (int[])op.Attributes["pad"];
        string mode = (string)op.Attributes["mode"];
        int rank = input.Rank;
        if (mode == "circular") return CircularPad(op, x, pad);
        // PyTorch's pairs run from the last dim; ONNX's pads are every dim's begins, then every dim's ends.
        var pads = new long[2 * rank];
        for (int i = 0; i < pad.Length / 2; i++)
        {
            pads[rank - 1 - i] = pad[2 * i];
            pads[2 * rank - 1 - i] = pad[2 * i + 1];
        }
        string onnxMode = mode switch { "reflect" => "reflect", "replicate" => "edge", _ => "constant" };
        string[] inputs = mode == "constant"
            ? [x, Constant("pads", pads), ScalarConstant("value", (float)(double)op.Attributes["value"])]
            : [x, Constant("pads", pads)];
        return Step("Pad", inputs, StringAttribute("mode", onnxMode));
    }

    // Circular padding (opset 19's "wrap") as slices of the other end, concatenated.
    string CircularPad(TracedOp op, string x, int[] pad)
    {
        int rank = op.Inputs[0]!.Rank;
        for (int i = 0; i < pad.Length / 2; i++)
        {
            int dim = rank - 1 - i, before = pad[2 * i], after = pad[2 * i + 1];
            if (before < 0 || after < 0) throw Unsupported(op, "circular padding by a negative amount");
            var parts = new List<string>();
            if (before > 0) parts.Add(Step("Slice", [x, Constant("starts", [-before]), Constant("ends", [long.MaxValue]), Constant("axes", [dim])]));
            parts.Add(x);
            if (after > 0) parts.Add(Step("Slice", [x, Constant("starts", [0]), Constant("ends", [after]), Constant("axes", [dim])]));
            if (parts.Count > 1) x = Step("Concat", parts.ToArray(), IntAttribute("axis", dim));
        }
        return x;
    }

    // F.interpolate as Resize: nearest is PyTorch's floor(dst · in/out) ("asymmetric", "floor"); bilinear maps pixel centres
    // ("pytorch_half_pixel") or corners ("align_corners"). A scale factor is passed as the scales, as PyTorch samples by it.
    string Resize(TracedOp op, string x)
    {
        var scaleFactor = (double[])op.Attributes["scaleFactor"];
        bool bilinear = (string)op.Attributes["mode"] == "bilinear";
        var attributes = new List<ProtoMessage> { StringAttribute("mode", bilinear ? "linear" : "nearest") };
        attributes.Add(StringAttribute("coordinate_transformation_mode",
            !bilinear ? "asymmetric" : (bool)op.Attributes["alignCorners"] ? "align_corners" : "pytorch_half_pixel"));
        if (!bilinear) attributes.Add(StringAttribute("nearest_mode", "floor"));
        if (scaleFactor.Length == 2)
            return Step("Resize", [x, "", FloatConstant("scales", [1, 1, (float)scaleFactor[0], (float)scaleFactor[1]], [4])], attributes.ToArray());
        // The sizes: the input's N and C (free), then the output's H and W.
        string sizes = Step("Concat", [Step("Slice", [Step("Shape", [x]), Constant("starts", [0]), Constant("ends", [2])]),
            Constant("size", [op.Output.Shape[2], op.Output.Shape[3]])], IntAttribute("axis", 0));
        return Step("Resize", [x, "", "", sizes], attributes.ToArray());
    }
}
