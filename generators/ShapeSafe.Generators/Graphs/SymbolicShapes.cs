using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;
using ShapeSafe.Generators.Model;
using ShapeSafe.Shapes;
using R = ShapeSafe.Shapes.ShapeRules<ShapeSafe.Shapes.Dim, ShapeSafe.Shapes.SymbolicDims>;

namespace ShapeSafe.Generators.Graphs
{
    /// <summary>
    /// Works out, at build time, the symbolic shape of every value and every gradient of a captured graph with the
    /// shape core's rules (the analyzer's own): the inputs' shapes come from <c>[Shape]</c> on <c>Forward</c>'s
    /// parameters, the layers' from their constructor arguments (<c>new Linear(784, 128)</c>, a <c>[Dim("H")]</c>
    /// parameter read as the name H). What the rules cannot work out stays partial (<c>[..., 128]</c>), and the
    /// run-time plan checks it with the eager ops. The forward's rules answer as the analyzer's do (a name is any
    /// size); the gradients of the parameters are compared with the parameters' shapes strictly: only what is
    /// proven equal passes.
    /// </summary>
    internal sealed partial class SymbolicShapes
    {
        /// <summary>A shape problem the rules prove at build time, by node.</summary>
        internal sealed class Problem
        {
            public Problem(int node, DiagnosticDescriptor descriptor, string message)
            {
                Node = node;
                Descriptor = descriptor;
                Message = message;
            }

            public int Node { get; }
            public DiagnosticDescriptor Descriptor { get; }
            public string Message { get; }
        }

        readonly CapturedGraph _graph;
        readonly INamedTypeSymbol _root;
        readonly ModuleTypes _types;
        readonly Compilation _compilation;
        readonly CancellationToken _cancellationToken;
        readonly Shape?[] _values;
        readonly Shape?[] _gradients;
        // Why the rules refuse a node's forward (the analyzer's reading: a name is any size), by node.
        readonly string?[] _refusals;
        // Whether a node's value depends on a parameter or buffer of the module (SymbolicShapes.Parameters.cs), by node.
        readonly bool[] _readsState;
        readonly Dictionary<string, LayerArguments?> _layers = new Dictionary<string, LayerArguments?>(StringComparer.Ordinal);

        SymbolicShapes(CapturedGraph graph, INamedTypeSymbol root, ModuleTypes types, Compilation compilation, CancellationToken cancellationToken)
        {
            _graph = graph;
            _root = root;
            _types = types;
            _compilation = compilation;
            _cancellationToken = cancellationToken;
            _values = new Shape?[graph.Nodes.Count];
            _gradients = new Shape?[graph.Nodes.Count];
            _refusals = new string?[graph.Nodes.Count];
            _readsState = new bool[graph.Nodes.Count];
        }

        /// <summary>
        /// The shapes of <paramref name="graph"/>, captured from <paramref name="forward"/>, and the problems they
        /// prove. <paramref name="inlined"/> says, by node, whether the node comes from an inlined child's
        /// <c>Forward</c>: the analyzer checks a class's own <c>Forward</c> line by line, so a refused forward there
        /// is its finding, and only the nodes it cannot see with these shapes are reported here.
        /// </summary>
        public static (GraphShapes Shapes, List<Problem> Problems) Infer(IMethodSymbol forward, CapturedGraph graph, IReadOnlyList<bool> inlined,
            ModuleTypes types, Compilation compilation, CancellationToken cancellationToken, IReadOnlyList<IParameterSymbol?>? inputs = null)
        {
            var shapes = new SymbolicShapes(graph, forward.ContainingType, types, compilation, cancellationToken);
            // A graph of part of a split Forward reads other values than Forward's parameters; those are not annotated.
            inputs ??= forward.Parameters;
            for (int i = 0; i < inputs.Count; i++) shapes._values[i] = inputs[i] is { } parameter ? Annotation(parameter) : Shape.Unknown;
            for (int i = 0; i < graph.Nodes.Count; i++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                shapes._readsState[i] = shapes.ReadsState(i);
                if (ForwardCapture.IsState(graph.Nodes[i].Op)) shapes._values[i] = shapes.StateShape(graph.Nodes[i].Arguments[0]);
                else if (graph.Nodes[i].Op != GraphOp.Input) shapes._values[i] = shapes.Forward(i);
            }
            shapes._gradients[graph.Output] = shapes._values[graph.Output];
            for (int i = graph.Nodes.Count - 1; i >= 0; i--) shapes.Backward(i);
            // A buffer takes no gradient.
            for (int i = 0; i < graph.Nodes.Count; i++)
                if (graph.Nodes[i].Op == GraphOp.Buffer) shapes._gradients[i] = null;
            var parameters = new List<ParameterShape>();
            var problems = new List<Problem>();
            for (int i = 0; i < graph.Nodes.Count; i++)
            {
                bool reported = false;
                foreach (var (path, shape, gradient) in shapes.SafeParameterGradients(i))
                {
                    parameters.Add(new ParameterShape(path, i, shape.ToString(), gradient.ToString()));
                    if (reported || (!inlined[i] && shapes._refusals[i] is not null) || Proven(shape, gradient) is not { } why) continue;
                    problems.Add(new Problem(i, GeneratorDiagnostics.GradientShapeMismatch, string.Format(System.Globalization.CultureInfo.InvariantCulture,
                        "the gradient of '{0}' {1} is {2} (the backward of {3}), which {4}{5}", path, shape, gradient, graph.Nodes[i].Source, why,
                        shapes._refusals[i] is { } refusal ? "; the forward refuses its input too (" + refusal + ")" : "")));
                    reported = true;
                }
                // The shape analyzer reads neither an inlined child with its caller's shapes nor the module's parameters and buffers.
                if (!reported && (inlined[i] || shapes._readsState[i]) && shapes._refusals[i] is { } refused)
                    problems.Add(new Problem(i, GeneratorDiagnostics.GraphShapeMismatch, graph.Nodes[i].Source + ": " + refused));
            }
            var result = new GraphShapes(
                shapes._values.Select(s => (s ?? Shape.Unknown).ToString()).ToEquatableArray(),
                shapes._gradients.Select(s => s?.ToString() ?? "").ToEquatableArray(),
                parameters.ToEquatableArray());
            return (result, problems);
        }

        /// <summary>
        /// Null when <paramref name="gradient"/> is proven to be <paramref name="shape"/>; else why not. A dim the
        /// analysis could not name (an input without <c>[Shape]</c>) proves nothing either way and passes: the run-time
        /// plan checks it.
        /// </summary>
        static string? Proven(Shape shape, Shape gradient)
        {
            if (shape.Partial || gradient.Partial) return null;
            if (shape.Dims.Length != gradient.Dims.Length) return "has another rank";
            for (int i = 0; i < shape.Dims.Length; i++)
            {
                var (a, b) = (shape.Dims[i], gradient.Dims[i]);
                switch (default(SymbolicDims).Equal(a, b))
                {
                    case Truth.False:
                        return "differs at dim " + i + ": " + b + " is not " + a;
                    case Truth.Unknown when !a.HasOpaqueAtom && !b.HasOpaqueAtom:
                        return "cannot be proven equal to it at dim " + i + ": " + b + " and " + a;
                }
            }
            return null;
        }

        /// <summary>A parameter's <c>[Shape]</c>, or nothing known (<c>[...]</c>) without one or with an annotation that does not parse (SS0009's).</summary>
        static Shape Annotation(IParameterSymbol parameter)
        {
            var text = parameter.GetAttributes().FirstOrDefault(a => a.AttributeClass?.ToDisplayString() == "ShapeSafe.ShapeAttribute")
                ?.ConstructorArguments.FirstOrDefault().Value as string;
            if (text is null || DimParser.Parse(text).Shape is not { } parsed) return Shape.Unknown;
            return new Shape(parsed.HasEllipsis, parsed.Entries.Select(e => e.Dim ?? Dim.Anonymous("_")).ToArray());
        }

        /// <summary>A node's value, by its op's rule; a rule that refuses leaves the reason in <see cref="_refusals"/>.</summary>
        Shape Forward(int index)
        {
            var node = _graph.Nodes[index];
            var x = _values[node.Inputs[0]] ?? Shape.Unknown;
            using var generic = GenericNames.Begin();
            try
            {
                return ForwardRule(node, x);
            }
            catch (ShapeException e)
            {
                _refusals[index] = e.Message;
                // The layer's output as it declares it, so that its parameters' gradients can still be compared.
                return node.Op == GraphOp.Linear && Layer(node.Module) is { } linear
                    ? new Shape(x.Partial, x.Dims.Take(Math.Max(0, x.Dims.Length - 1)).Concat(new[] { linear.Int("outFeatures") }).ToArray())
                    : Shape.Unknown;
            }
            catch (Exception e) when (e is UndecidableShapeException or ArithmeticException or ArgumentException or InvalidOperationException or IndexOutOfRangeException or FormatException)
            {
                return Shape.Unknown;
            }
        }

        Shape ForwardRule(GraphNode node, Shape x)
        {
            switch (node.Op)
            {
                case GraphOp.Linear:
                {
                    var layer = Layer(node.Module);
                    var weightT = new[] { Int(layer, "inFeatures"), Int(layer, "outFeatures") };
                    return x.Dims.Length == 0 && x.Partial ? new Shape(true, new[] { weightT[1] }) : x.With(R.Matmul(x.Dims, weightT, "Linear"));
                }
                case GraphOp.Conv2d:
                {
                    var layer = Layer(node.Module);
                    var kernel = Pair(layer, "kernelSize", null);
                    var stride = Pair(layer, "stride", new[] { 1, 1 });
                    var padding = Pair(layer, "padding", new[] { 0, 0 });
                    var dilation = Pair(layer, "dilation", new[] { 1, 1 });
                    if (kernel is null || stride is null || padding is null || dilation is null) return Shape.Unknown;
                    int groups = layer?.Constant("groups") ?? 1;
                    var weight = new[] { Int(layer, "outChannels"), PerGroup(Int(layer, "inChannels"), groups), Dim.Of(kernel[0]), Dim.Of(kernel[1]) };
                    return Spatial(x, dims => R.Conv2d(dims, weight, stride, padding, dilation, groups, "Conv2d"));
                }
                case GraphOp.MaxPool2d:
                {
                    var layer = Layer(node.Module);
                    var kernel = Pair(layer, "kernelSize", null);
                    var stride = Pair(layer, "stride", kernel);
                    var padding = Pair(layer, "padding", new[] { 0, 0 });
                    var dilation = Pair(layer, "dilation", new[] { 1, 1 });
                    if (kernel is null || stride is null || padding is null || dilation is null) return Shape.Unknown;
                    return Spatial(x, dims => R.Pool2d(dims, kernel, stride, padding, dilation, "MaxPool2d", layer?.Flag("ceilMode", false) ?? false));
                }
                case GraphOp.LayerNorm:
                {
                    var normalized = NormalizedShape(Layer(node.Module));
                    if (normalized is not null && x.Dims.Length >= normalized.Length)
                    {
                        var tail = x.Dims.Skip(x.Dims.Length - normalized.Length).ToArray();
                        if (tail.Where((d, i) => default(SymbolicDims).Equal(d, normalized[i]) == Truth.False).Any())
                            throw new ShapeException("LayerNorm", "Given normalized_shape=" + R.Format(normalized) + ", expected input with shape [*, "
                                + string.Join(", ", normalized.Select(d => d.ToString())) + "], but got input of size " + x);
                    }
                    return x;
                }
                case GraphOp.BatchNorm:
                {
                    var channels = Int(Layer(node.Module), "numFeatures");
                    if (!x.Partial && x.Dims.Length >= 2 && default(SymbolicDims).Equal(x.Dims[1], channels) == Truth.False)
                        throw new ShapeException("BatchNorm", "expected " + channels + " channels at dim 1, but got input of size " + x);
                    return x;
                }
                case GraphOp.Embedding:
                    return new Shape(x.Partial, x.Dims.Concat(new[] { Int(Layer(node.Module), "embeddingDim") }).ToArray());
                case GraphOp.Softmax:
                case GraphOp.LogSoftmax:
                {
                    int? dim = node.Arguments.Count > 0 ? int.Parse(node.Arguments[0], System.Globalization.CultureInfo.InvariantCulture) : Layer(node.Module)?.Constant("dim");
                    if (dim is { } d && !x.Partial) R.NormalizeDim(node.Op.ToString(), d, x.Dims.Length, x.Dims);
                    return x;
                }
                case GraphOp.Flatten:
                {
                    var (start, end) = node.Arguments.Count == 2
                        ? (int.Parse(node.Arguments[0], System.Globalization.CultureInfo.InvariantCulture), int.Parse(node.Arguments[1], System.Globalization.CultureInfo.InvariantCulture))
                        : (Layer(node.Module)?.Constant("startDim") ?? 1, Layer(node.Module)?.Constant("endDim") ?? -1);
                    if (!x.Partial) return x.With(R.Flatten(x.Dims, start, end, "Flatten"));
                    // Negative dims count from the end: inside the known dims, the unknown leading ones stay as they are.
                    return start < 0 && end < 0 && -start <= x.Dims.Length ? x.With(R.Flatten(x.Dims, start, end, "Flatten")) : Shape.Unknown;
                }
                case GraphOp.View:
                {
                    var requested = node.Arguments.Skip(1).Select(ViewSize).ToArray();
                    if (!x.Partial) return new Shape(false, R.InferSize(node.Arguments[0], x.Dims, requested));
                    return new Shape(false, requested.Select(d => d.TryGetConstant(out long v) && v == -1 ? Dim.Anonymous() : d).ToArray());
                }
                case GraphOp.Squeeze:
                    if (x.Partial) return Shape.Unknown;
                    return x.With((node.Arguments.Count == 0 ? R.Squeeze(R.Contiguous(x.Dims), "Squeeze") : R.Squeeze(R.Contiguous(x.Dims), IntArgument(node, 0), "Squeeze")).Sizes);
                case GraphOp.Unsqueeze:
                    return x.Partial ? Shape.Unknown : x.With(R.Unsqueeze(R.Contiguous(x.Dims), IntArgument(node, 0), "Unsqueeze").Sizes);
                case GraphOp.Transpose when node.Arguments.Count == 1:
                    return Reversed(x);
                case GraphOp.Matmul:
                    return MatmulRule(node, x);
                case GraphOp.FunctionalLinear:
                    return FunctionalLinearRule(node, x);
                case GraphOp.Transpose:
                    return x.Partial ? Shape.Unknown : x.With(R.Transpose(R.Contiguous(x.Dims), IntArgument(node, 0), IntArgument(node, 1), "Transpose").Sizes);
                case GraphOp.Permute:
                    return x.Partial ? Shape.Unknown : x.With(R.Permute(R.Contiguous(x.Dims), node.Arguments.Select((_, i) => IntArgument(node, i)).ToArray(), "Permute").Sizes);
                case GraphOp.Add:
                case GraphOp.Sub:
                case GraphOp.Mul:
                case GraphOp.Div:
                    return Broadcast(x, _values[node.Inputs[1]] ?? Shape.Unknown, node.Op.ToString());
                case GraphOp.Layer:
                    return LayerRule(node, x);
                case GraphOp.Pad:
                case GraphOp.Interpolate:
                    return FunctionRule(node, x);
                case GraphOp.PixelShuffle:
                    return PixelShuffleFunctionRule(node, x);
                case GraphOp.TensorFunction:
                    return TensorFunctionRule(node, x);
                case GraphOp.Recurrent:
                case GraphOp.RecurrentHidden:
                case GraphOp.RecurrentCell:
                case GraphOp.Select:
                case GraphOp.Narrow:
                    return RecurrentRule(node, x);
                case GraphOp.AttentionWeights:
                    return AttentionWeightsShape(node);
                default:
                    // Element-wise ops (activations, dropout, negation, scalars) and Contiguous keep the shape.
                    return x;
            }
        }

        /// <summary>
        /// The broadcast of two shapes. When either is partial, the dims both are known to have are broadcast by the
        /// rule; past them the longer operand's dims meet unknown ones, and each is the result's where it is not 1 (the
        /// unknown one is 1 or equal, or the op fails when it runs), while a 1 may be stretched to any size.
        /// </summary>
        static Shape Broadcast(Shape a, Shape b, string op)
        {
            if (!a.Partial && !b.Partial) return new Shape(false, R.Broadcast(a.Dims, b.Dims, op));
            int known = Math.Min(a.Partial ? a.Dims.Length : int.MaxValue, b.Partial ? b.Dims.Length : int.MaxValue);
            var both = R.Broadcast(Last(a.Dims, known), Last(b.Dims, known), op);
            var longer = a.Dims.Length >= b.Dims.Length ? a.Dims : b.Dims;
            var beyond = longer.Take(Math.Max(0, longer.Length - both.Length))
                .Select(d => default(SymbolicDims).Equal(d, Dim.One) == Truth.False ? d : Dim.Anonymous());
            return new Shape(true, beyond.Concat(both).ToArray());
        }

        static Dim[] Last(Dim[] dims, int count) => dims.Skip(Math.Max(0, dims.Length - count)).ToArray();

        /// <summary>A convolution's or pool's rule on [N, C, H, W] or [C, H, W]; on a partial shape, on its last three dims.</summary>
        static Shape Spatial(Shape x, Func<Dim[], Dim[]> rule)
        {
            if (!x.Partial) return x.With(rule(x.Dims));
            return x.Dims.Length >= 3 ? new Shape(true, rule(Last(x.Dims, 3))) : Shape.Unknown;
        }

        /// <summary>A view size: a constant, or <c>@node:dim</c>, a size of one of the inputs.</summary>
        Dim ViewSize(string size)
        {
            if (!size.StartsWith("@", StringComparison.Ordinal)) return Dim.Of(long.Parse(size, System.Globalization.CultureInfo.InvariantCulture));
            var parts = size.Substring(1).Split(':');
            var input = _values[int.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture)] ?? Shape.Unknown;
            int dim = int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture);
            if (input.Partial) return Dim.Anonymous();
            return input.Dims[R.ExistingDim("Size", dim, input.Dims)];
        }

        /// <summary>
        /// An attention's returned weights: [N, L, S] averaged over the heads or [N, heads, L, S] per head ([L, S] or
        /// [heads, L, S] unbatched), L the query's length and S the key's; unknown when batch-first is not known at build time.
        /// </summary>
        Shape AttentionWeightsShape(GraphNode weights)
        {
            var attention = _graph.Nodes[weights.Inputs[0]];
            var (query, key) = (_values[attention.Inputs[0]] ?? Shape.Unknown, _values[attention.Inputs[1]] ?? Shape.Unknown);
            if (query.Partial || key.Partial || query.Dims.Length != key.Dims.Length || query.Dims.Length is not (2 or 3)) return Shape.Unknown;
            var layer = Layer(weights.Module);
            bool averaged = attention.Arguments.Contains(ForwardCapture.AveragedWeights);
            var heads = Int(layer, "numHeads");
            if (query.Dims.Length == 2)
                return new Shape(false, averaged ? new[] { query.Dims[0], key.Dims[0] } : new[] { heads, query.Dims[0], key.Dims[0] });
            if (layer is null || layer.Flag("batchFirst", true) != layer.Flag("batchFirst", false)) return Shape.Unknown;
            bool batchFirst = layer.Flag("batchFirst", false);
            var (batch, length, source) = batchFirst ? (query.Dims[0], query.Dims[1], key.Dims[1]) : (query.Dims[1], query.Dims[0], key.Dims[0]);
            return new Shape(false, averaged ? new[] { batch, length, source } : new[] { batch, heads, length, source });
        }

        static int IntArgument(GraphNode node, int i) => int.Parse(node.Arguments[i], System.Globalization.CultureInfo.InvariantCulture);

        /// <summary>
        /// Hands the gradient of node <paramref name="index"/>'s value on to its inputs, by the backward's rule: a
        /// linear layer's through its weight (a matrix product), a transpose's or permute's back through the inverse
        /// permutation, a view's back to its input's shape (the element counts must match), a broadcast operand's
        /// summed back to the operand's shape, and the rest in the input's shape.
        /// </summary>
        void Backward(int index)
        {
            var node = _graph.Nodes[index];
            if (node.Op is GraphOp.Input or GraphOp.Embedding || _gradients[index] is not { } g) return;
            for (int i = 0; i < node.Inputs.Count; i++)
            {
                int input = node.Inputs[i];
                var shape = _values[input] ?? Shape.Unknown;
                Shape gradient;
                try
                {
                    gradient = node.Op switch
                    {
                        GraphOp.Linear when !g.Partial || g.Dims.Length > 0 => g.With(R.Matmul(g.Dims, new[] { Int(Layer(node.Module), "outFeatures"), Int(Layer(node.Module), "inFeatures") }, "LinearBackward")),
                        GraphOp.Transpose when node.Arguments.Count == 1 => Reversed(g),
                        GraphOp.Transpose when !g.Partial => g.With(R.Transpose(R.Contiguous(g.Dims), IntArgument(node, 0), IntArgument(node, 1), "TransposeBackward").Sizes),
                        GraphOp.Permute when !g.Partial => g.With(R.Permute(R.Contiguous(g.Dims), Inverse(node), "PermuteBackward").Sizes),
                        GraphOp.View or GraphOp.Flatten or GraphOp.Squeeze or GraphOp.Unsqueeze when !g.Partial && !shape.Partial => new Shape(false, R.InferSize("ViewBackward", g.Dims, shape.Dims)),
                        _ => shape,
                    };
                }
                catch (Exception e) when (e is ShapeException or UndecidableShapeException or ArithmeticException or ArgumentException or InvalidOperationException or IndexOutOfRangeException)
                {
                    gradient = shape;
                }
                // A value read twice gets the sum of both gradients, of one shape: the first one stands for both.
                _gradients[input] ??= gradient;
            }
        }

        static int[] Inverse(GraphNode node)
        {
            var inverse = new int[node.Arguments.Count];
            for (int i = 0; i < inverse.Length; i++)
            {
                int d = IntArgument(node, i);
                inverse[d < 0 ? d + inverse.Length : d] = i;
            }
            return inverse;
        }

        /// <summary>The parameters' gradients of node <paramref name="index"/>, or none where the sizes overflow (a rule's arithmetic on huge constants).</summary>
        List<(string Path, Shape Shape, Shape Gradient)> SafeParameterGradients(int index)
        {
            try
            {
                return ParameterGradients(index).ToList();
            }
            catch (Exception e) when (e is ArithmeticException or ArgumentException or InvalidOperationException or IndexOutOfRangeException)
            {
                return new List<(string, Shape, Shape)>();
            }
        }

        /// <summary>
        /// Each parameter of node <paramref name="index"/>'s layer: its path, its shape from the constructor's
        /// arguments, and the shape of the gradient the backward computes for it from the input's shape and the
        /// output's gradient (a linear layer's weight gets gradᵀ·x over the flattened leading dims, a convolution's
        /// the channels of both, a norm's the normalized dims, an embedding's its rows by the gradient's last dim).
        /// </summary>
        IEnumerable<(string Path, Shape Shape, Shape Gradient)> ParameterGradients(int index)
        {
            var node = _graph.Nodes[index];
            if (_gradients[index] is not { } g) yield break;
            var x = _values[node.Inputs.Count > 0 ? node.Inputs[0] : index] ?? Shape.Unknown;
            var layer = node.Module.Length > 0 ? Layer(node.Module) : null;
            switch (node.Op)
            {
                case GraphOp.Linear:
                {
                    Dim outFeatures = Int(layer, "outFeatures"), inFeatures = Int(layer, "inFeatures");
                    Dim rows = x.Partial ? Dim.Anonymous() : R.NumEl(x.Dims.Take(Math.Max(0, x.Dims.Length - 1)).ToArray());
                    var gradRows = new[] { LastDim(g), rows };
                    var weight = Matrix(() => R.Mm(gradRows, new[] { rows, LastDim(x) }, "LinearBackward"), LastDim(g), LastDim(x));
                    yield return (node.Module + ".weight", Shape.Of(outFeatures, inFeatures), weight);
                    if (layer?.Flag("bias", true) ?? true)
                        yield return (node.Module + ".bias", Shape.Of(outFeatures), Shape.Of(LastDim(g)));
                    break;
                }
                case GraphOp.Conv2d:
                {
                    var kernel = Pair(layer, "kernelSize", null);
                    int groups = layer?.Constant("groups") ?? 1;
                    var kernelDims = kernel is null ? new[] { Dim.Anonymous(), Dim.Anonymous() } : new[] { Dim.Of(kernel[0]), Dim.Of(kernel[1]) };
                    var outChannels = Int(layer, "outChannels");
                    var weight = new[] { outChannels, PerGroup(Int(layer, "inChannels"), groups) }.Concat(kernelDims).ToArray();
                    var gradient = new[] { Channels(g), PerGroup(Channels(x), groups) }.Concat(kernelDims).ToArray();
                    yield return (node.Module + ".weight", Shape.Of(weight), Shape.Of(gradient));
                    if (layer?.Flag("bias", true) ?? true)
                        yield return (node.Module + ".bias", Shape.Of(outChannels), Shape.Of(Channels(g)));
                    break;
                }
                case GraphOp.LayerNorm:
                {
                    var normalized = NormalizedShape(layer);
                    if (normalized is null || !(layer?.Flag("elementwiseAffine", true) ?? true)) break;
                    var gradient = x.Dims.Length >= normalized.Length ? Shape.Of(Last(x.Dims, normalized.Length)) : Shape.Unknown;
                    yield return (node.Module + ".weight", Shape.Of(normalized), gradient);
                    if (layer?.Flag("bias", true) ?? true) yield return (node.Module + ".bias", Shape.Of(normalized), gradient);
                    break;
                }
                case GraphOp.BatchNorm:
                {
                    if (!(layer?.Flag("affine", true) ?? true)) break;
                    var channels = Shape.Of(Int(layer, "numFeatures"));
                    var gradient = !x.Partial && x.Dims.Length >= 2 ? Shape.Of(x.Dims[1]) : Shape.Unknown;
                    yield return (node.Module + ".weight", channels, gradient);
                    yield return (node.Module + ".bias", channels, gradient);
                    break;
                }
                case GraphOp.Embedding:
                {
                    var rows = Int(layer, "numEmbeddings");
                    yield return (node.Module + ".weight", Shape.Of(rows, Int(layer, "embeddingDim")), Shape.Of(rows, LastDim(g)));
                    break;
                }
            }
        }

        /// <summary>The product's shape by its rule; where the rule cannot decide, the shape it gives when it runs.</summary>
        static Shape Matrix(Func<Dim[]> rule, Dim rows, Dim columns)
        {
            try
            {
                return Shape.Of(rule());
            }
            catch (Exception e) when (e is ShapeException or UndecidableShapeException or ArithmeticException or ArgumentException)
            {
                return Shape.Of(rows, columns);
            }
        }

        static Dim LastDim(Shape shape) => shape.Dims.Length > 0 ? shape.Dims[shape.Dims.Length - 1] : Dim.Anonymous();

        /// <summary>The channels of an image tensor, [N, C, H, W] or [C, H, W]: the third dim from the end.</summary>
        static Dim Channels(Shape shape) => shape.Dims.Length >= 3 && (shape.Partial || shape.Dims.Length <= 4) ? shape.Dims[shape.Dims.Length - 3] : Dim.Anonymous();

        static Dim PerGroup(Dim channels, int groups)
        {
            if (groups == 1) return channels;
            return default(SymbolicDims).TryDivideExact(channels, Dim.Of(groups), out var quotient) == Truth.True ? quotient : Dim.Anonymous();
        }

        static Dim Int(LayerArguments? layer, string name) => layer?.Int(name) ?? Dim.Anonymous();

        static int[]? Pair(LayerArguments? layer, string name, int[]? fallback) => layer is null ? fallback : layer.Pair(name, fallback);

        static Dim[]? NormalizedShape(LayerArguments? layer) => layer?.Dims("normalizedShape");

        /// <summary>The constructor arguments of the child at <paramref name="path"/>, read once per path.</summary>
        LayerArguments? Layer(string path)
        {
            if (!_layers.TryGetValue(path, out var layer))
                _layers[path] = layer = LayerArguments.Read(path, _root, _types, _compilation, _cancellationToken);
            return layer;
        }

        /// <summary>A symbolic shape: its dims, after any number of unknown leading dims when <see cref="Partial"/>.</summary>
        internal sealed class Shape
        {
            public static readonly Shape Unknown = new Shape(true, Array.Empty<Dim>());

            public Shape(bool partial, Dim[] dims)
            {
                Partial = partial;
                Dims = dims;
            }

            public static Shape Of(params Dim[] dims) => new Shape(false, dims);

            /// <summary>Whether unknown leading dims come before <see cref="Dims"/> (an input without <c>[Shape]</c>, <c>...</c>).</summary>
            public bool Partial { get; }

            public Dim[] Dims { get; }

            /// <summary>The same leading dims (known or not) followed by <paramref name="dims"/>.</summary>
            public Shape With(Dim[] dims) => new Shape(Partial, dims);

            /// <summary><c>[B, 128]</c>, <c>[..., 128]</c> or <c>[...]</c>.</summary>
            public override string ToString() =>
                "[" + string.Join(", ", (Partial ? new[] { "..." } : Array.Empty<string>()).Concat(Dims.Select(d => d.ToString()))) + "]";
        }
    }
}
