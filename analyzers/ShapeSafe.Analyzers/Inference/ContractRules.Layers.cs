using System;
using System.Collections.Immutable;
using System.Linq;
using ShapeSafe.Shapes;

namespace ShapeSafe.Analyzers.Inference
{
    // The rules of the engine's spatial, indexing and sorting ops (Conv1d, ConvTranspose2d, adaptive pooling, Pad,
    // Interpolate, PixelShuffle, Gather, Scatter, OneHot, Sort, Topk, Tril/Triu) and of the norm layers whose
    // contract only keeps the shape (BatchNorm1d, GroupNorm check their channels here). The function, tensor and
    // layer forms share one rule: arguments are read by parameter name, a layer's from its constructor.
    internal static partial class ContractRules
    {
        /// <summary>The int argument <paramref name="name"/>: <paramref name="fallback"/> when absent (unknown when there is none), unknown when not constant.</summary>
        static int Named(RuleCall c, string name, int? fallback)
        {
            if (!c.TryGet(name, out var value)) return fallback ?? Unknown();
            return value is IntValue v && v.TryGetConstant(out int k) ? k : Unknown();
        }

        /// <summary>A result that is a (values, indices) pair when the method returns one (Sort, Topk), else the values.</summary>
        static Value ValuesAndIndices(RuleCall c, Dim[] sizes)
        {
            var values = Fresh(sizes);
            return c.ReturnsPair ? new SequenceValue(ImmutableArray.Create<Value?>(values, Fresh(sizes))) : values;
        }

        /// <summary>A layer's constructor arguments name its channels; the functions pass a weight tensor instead.</summary>
        static bool IsLayerCall(RuleCall c) => c.Tensors.Count == 1 && c.TryGet("inChannels", out _);

        /// <summary><c>F.Conv1d(input, weight, bias, stride, padding, dilation, groups)</c> and the <c>Conv1d</c> layer (weight [Out, In/groups, K]).</summary>
        static Value? Conv1d(RuleCall c)
        {
            var input = Input(c);
            int groups = Named(c, "groups", 1);
            Dim[] weight;
            if (IsLayerCall(c))
            {
                var (inChannels, outChannels) = Channels(c, groups);
                weight = new[] { outChannels, inChannels, Dim.Of(Named(c, "kernelSize", null)) };
                if (input.Sizes.Length is 2 or 3) c.InferredInputSize = input.Sizes[input.Sizes.Length - 2];
            }
            else
            {
                weight = Input(c, 1).Sizes;
            }
            return Fresh(R.Conv1d(input.Sizes, weight, Named(c, "stride", 1), Named(c, "padding", 0), Named(c, "dilation", 1), groups, c.Op));
        }

        /// <summary>The layer's (in-channels per group, out-channels) from its constructor arguments.</summary>
        static (Dim PerGroup, Dim Out) Channels(RuleCall c, int groups)
        {
            if (!c.TryGet("inChannels", out var inValue) || inValue is not IntValue inChannels
                || !c.TryGet("outChannels", out var outValue) || outValue is not IntValue outChannels)
                return Unknown<(Dim, Dim)>();
            var perGroup = groups == 1 ? inChannels.Dim
                : inChannels.TryGetConstant(out int ic) && ic % groups == 0 ? Dim.Of(ic / groups) : Unknown<Dim>();
            return (perGroup, outChannels.Dim);
        }

        /// <summary>
        /// <c>Tensor.ConvTranspose2d</c>/<c>F.ConvTranspose2d</c> (weight [In, Out/groups, kH, kW]) and the
        /// <c>ConvTranspose2d</c> layer, whose weight comes from its constructor arguments.
        /// </summary>
        static Value? ConvTranspose2d(RuleCall c)
        {
            var input = Input(c);
            int groups = Named(c, "groups", 1);
            Dim[] weight;
            if (IsLayerCall(c))
            {
                if (!c.TryGet("inChannels", out var inValue) || inValue is not IntValue inChannels
                    || !c.TryGet("outChannels", out var outValue) || outValue is not IntValue outChannels)
                    return Unknown<Value>();
                var perGroup = groups == 1 ? outChannels.Dim
                    : outChannels.TryGetConstant(out int oc) && oc % groups == 0 ? Dim.Of(oc / groups) : Unknown<Dim>();
                var kernel = c.Pair("kernelSize", null);
                weight = new[] { inChannels.Dim, perGroup, Dim.Of(kernel[0]), Dim.Of(kernel[1]) };
                if (input.Sizes.Length is 3 or 4) c.InferredInputSize = input.Sizes[input.Sizes.Length - 3];
            }
            else
            {
                weight = Input(c, 1).Sizes;
            }
            return Fresh(R.ConvTranspose2d(input.Sizes, weight, c.Pair("stride", new[] { 1, 1 }), c.Pair("padding", new[] { 0, 0 }),
                c.Pair("outputPadding", new[] { 0, 0 }), c.Pair("dilation", new[] { 1, 1 }), groups, c.Op));
        }

        /// <summary>
        /// <c>AdaptiveAvgPool2d</c>/<c>AdaptiveMaxPool2d</c> (functions and layers): the output size is one int or an
        /// (int?, int?) pair whose null entry keeps the input's size.
        /// </summary>
        static Value? AdaptivePool2d(RuleCall c)
        {
            var input = Input(c);
            if (!c.TryGet("outputSize", out var size)) return Unknown<Value>();
            int[] output = size switch
            {
                IntValue v when v.TryGetConstant(out int k) => new[] { k, k },
                SequenceValue { Elements.Length: 2 } s => s.Elements.Select(e => e switch
                {
                    NullValue => -1,
                    IntValue i when i.TryGetConstant(out int k) && k >= 0 => k,
                    _ => Unknown(),
                }).ToArray(),
                _ => Unknown<int[]>(),
            };
            return ValuesAndIndices(c, R.AdaptivePool2d(input.Sizes, output, BuiltInContracts.OperationName(c.Op)));
        }

        /// <summary><c>F.Pad(input, pad, mode, value)</c>: (left, right) pairs from the last dim.</summary>
        static Value? Pad(RuleCall c)
        {
            var input = Input(c);
            var pad = c.TryGet("pad", out _) ? c.Ints(c.IndexOf("pad")) ?? Unknown<int[]>() : Unknown<int[]>();
            var mode = c.TryGet("mode", out var m) ? (m as StringValue)?.Text ?? Unknown<string>() : "constant";
            return Fresh(R.Pad(input.Sizes, pad, mode, c.Op));
        }

        /// <summary>
        /// <c>F.Interpolate(input, size, scaleFactor)</c> and the <c>Upsample</c> layer: (H, W) become the size, or
        /// the sizes times the scale (a symbolic size times an integral scale is the product; other symbolic cases are unknown).
        /// </summary>
        static Value? Interpolate2d(RuleCall c)
        {
            var input = Input(c);
            int[]? size = c.TryGet("size", out var s) && s is not NullValue ? c.Pair("size", null) : null;
            double[]? scale = null;
            if (c.TryGet("scaleFactor", out var f) && f is not NullValue)
            {
                scale = f switch
                {
                    DoubleValue d => new[] { d.Number, d.Number },
                    IntValue i when i.TryGetConstant(out int k) => new double[] { k, k },
                    SequenceValue { Elements.Length: 2 } pair => pair.Elements.Select(e => e is DoubleValue d ? d.Number : e is IntValue i && i.TryGetConstant(out int k) ? k : Unknown<double>()).ToArray(),
                    _ => Unknown<double[]>(),
                };
            }
            const string op = "Interpolate"; // the Upsample layer raises F.Interpolate's errors
            if (scale is not null && size is null && input.Sizes.Length == 4 && scale.All(k => k >= 1 && k == Math.Floor(k) && k <= int.MaxValue)
                && input.Sizes.Skip(2).Any(d => !d.IsConstant))
            {
                // floor(H · k) is H·k for an integral k: the shape stays symbolic.
                var result = (Dim[])input.Sizes.Clone();
                for (int i = 0; i < 2; i++) result[2 + i] = input.Sizes[2 + i] * Dim.Of((long)scale[i]);
                return Fresh(result);
            }
            return Fresh(R.Interpolate2d(input.Sizes, size, scale, op));
        }

        /// <summary><c>Scatter(dim, index, src)</c>, <c>Scatter(dim, index, value)</c>, <c>ScatterAdd</c>: the input's shape.</summary>
        static Value? Scatter(RuleCall c)
        {
            var input = Input(c);
            var index = Input(c, 1);
            var src = c.Tensors.Count > 2 ? Input(c, 2).Sizes : null;
            return Fresh(R.Scatter(input.Sizes, Named(c, "dim", null), index.Sizes, src, c.Op));
        }

        /// <summary><c>F.OneHot(input, numClasses)</c>: a class count of -1 is read from the data, so the last size is unknown.</summary>
        static Value? OneHot(RuleCall c)
        {
            var input = Input(c);
            if (!c.TryGet("numClasses", out var n) || n is not IntValue classes) return Unknown<Value>();
            if (classes.TryGetConstant(out int k) && k == -1) return Unknown<Value>();
            return Fresh(R.OneHot(input.Sizes, classes.Dim, c.Op));
        }

        /// <summary>
        /// The transformer layers and stacks: the output has the shape of the sequence they transform (the target for
        /// <c>Transformer</c> and the decoders, the source for the encoders), and every sequence's last dim is the model
        /// width (<c>dModel</c>, or the stacked layer's).
        /// </summary>
        static Value? Transformer(RuleCall c)
        {
            int sequences = c.Op is "Transformer" or "TransformerDecoderLayer" or "TransformerDecoder" ? 2 : 1;
            var output = Input(c, c.Op == "Transformer" ? 1 : 0);
            Value? width = c.TryGet("dModel", out var d) ? d
                : (c.TryGet("encoderLayer", out var layer) || c.TryGet("decoderLayer", out layer)) && layer is ModuleValue m && m.Arguments.TryGetValue("dModel", out var inner) ? inner
                : null;
            if (width is IntValue model)
            {
                for (int i = 0; i < sequences; i++)
                {
                    if (c.Tensor(i) is not { } sequence) continue;
                    var sizes = sequence.Sizes;
                    if (sizes.Length == 0) throw new ShapeException(c.Op, $"expected a sequence [..., {model.Dim}], got a 0-dim tensor");
                    c.InferredInputSize ??= sizes[sizes.Length - 1];
                    RequireSame(new[] { model.Dim }, new[] { sizes[sizes.Length - 1] }, () => new ShapeException(c.Op,
                        $"was expecting embedding dimension of {model.Dim}, but got {sizes[sizes.Length - 1]} (input {sequence.FormatShape()})"));
                }
            }
            return Fresh(output.Sizes);
        }

        /// <summary><c>Multinomial(probs, numSamples)</c>: [n] → [numSamples], [rows, n] → [rows, numSamples].</summary>
        static Value? Multinomial(RuleCall c)
        {
            var input = Input(c);
            if (!c.TryGet("numSamples", out var n) || n is not IntValue samples) return Unknown<Value>();
            if (input.Sizes.Length is not (1 or 2))
                throw new ShapeException(c.Op, $"prob_dist must be 1 or 2 dim, got {input.FormatShape()}");
            return Fresh(input.Sizes.Length == 1 ? new[] { samples.Dim } : new[] { input.Sizes[0], samples.Dim });
        }

        /// <summary><c>BatchNorm1d(C)</c>: input [N, C] or [N, C, L], with the engine's messages.</summary>
        static Value? BatchNorm1d(RuleCall c)
        {
            var input = Input(c);
            var features = c.TryGet("numFeatures", out var f) && f is IntValue v ? v.Dim : Unknown<Dim>();
            if (input.Sizes.Length is not (2 or 3))
                throw new ShapeException(c.Op, $"expected 2D or 3D input (got {input.Sizes.Length}D input of shape {input.FormatShape()})");
            c.InferredInputSize = input.Sizes[1];
            RequireSame(new[] { features }, new[] { input.Sizes[1] }, () => new ShapeException(c.Op,
                $"{c.Op}({features}) expects {features} features in dim 1, got input {input.FormatShape()}"));
            return SameShape(c);
        }

        /// <summary><c>GroupNorm(groups, C)</c>: input [N, C, *], with the engine's message.</summary>
        static Value? GroupNorm(RuleCall c)
        {
            var input = Input(c);
            var channels = c.TryGet("numChannels", out var f) && f is IntValue v ? v.Dim : Unknown<Dim>();
            var groups = c.TryGet("numGroups", out var g) && g is IntValue gv ? gv.Dim.ToString() : "?";
            if (input.Sizes.Length >= 2) c.InferredInputSize = input.Sizes[1];
            if (input.Sizes.Length < 2)
                throw new ShapeException(c.Op, $"{c.Op}({groups}, {channels}) expects {channels} channels in dim 1, got input {input.FormatShape()}");
            RequireSame(new[] { channels }, new[] { input.Sizes[1] }, () => new ShapeException(c.Op,
                $"{c.Op}({groups}, {channels}) expects {channels} channels in dim 1, got input {input.FormatShape()}"));
            return SameShape(c);
        }
    }
}
