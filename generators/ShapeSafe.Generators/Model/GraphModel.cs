namespace ShapeSafe.Generators.Model
{
    /// <summary>An op of a captured forward graph.</summary>
    internal enum GraphOp
    {
        /// <summary>One of <c>Forward</c>'s tensor parameters.</summary>
        Input,

        /// <summary>A <c>Linear</c> child's <c>Forward</c>.</summary>
        Linear,

        /// <summary>A <c>Conv2d</c> child's <c>Forward</c>.</summary>
        Conv2d,

        /// <summary>A <c>MaxPool2d</c> child's <c>Forward</c>.</summary>
        MaxPool2d,

        /// <summary>A <c>LayerNorm</c> child's <c>Forward</c>.</summary>
        LayerNorm,

        /// <summary>A <c>BatchNorm1d</c> or <c>BatchNorm2d</c> child's <c>Forward</c> (with or without its weight, bias and running statistics).</summary>
        BatchNorm,

        /// <summary>An <c>Embedding</c> child's <c>Forward</c> on indices that are one of <c>Forward</c>'s inputs (an Int64 tensor).</summary>
        Embedding,

        /// <summary>A <c>Dropout</c> child's <c>Forward</c>.</summary>
        Dropout,

        /// <summary>A <c>Softmax</c> child, <c>F.Softmax(x, dim)</c> or <c>x.Softmax(dim)</c> (the dim as the node's argument).</summary>
        Softmax,

        /// <summary>A <c>LogSoftmax</c> child, <c>F.LogSoftmax(x, dim)</c> or <c>x.LogSoftmax(dim)</c>.</summary>
        LogSoftmax,

        /// <summary><c>ReLU</c> as a child, <c>F.Relu</c> or <c>Tensor.Relu</c>.</summary>
        Relu,

        /// <summary><c>Flatten</c> as a child or <c>Tensor.Flatten</c>: a view.</summary>
        Flatten,

        /// <summary>
        /// <c>x.View(sizes)</c> or <c>x.Reshape(sizes)</c> of a contiguous value: a view. The arguments are the method's
        /// name, then each size: a constant (one may be -1), or <c>@node:dim</c>, a size of one of the inputs.
        /// </summary>
        View,

        /// <summary><c>x.Squeeze()</c> or <c>x.Squeeze(dim)</c> (the dim as the argument): a view.</summary>
        Squeeze,

        /// <summary><c>x.Unsqueeze(dim)</c>: a view.</summary>
        Unsqueeze,

        /// <summary>
        /// <c>x.Transpose(dim0, dim1)</c>: a strided view, read only by the ops that take one (arithmetic, <c>Contiguous</c>,
        /// matrix products). With the one argument <c>T</c>, <c>x.T</c>: the dims reversed.
        /// </summary>
        Transpose,

        /// <summary><c>x.Permute(dims)</c>: a strided view, as <see cref="Transpose"/>.</summary>
        Permute,

        /// <summary><c>x.Contiguous()</c>: a copy of a strided view, else the value itself.</summary>
        Contiguous,

        /// <summary><c>a + b</c> (or <c>a.Add(b)</c>) of two tensors of broadcastable shapes.</summary>
        Add,

        /// <summary><c>a * b</c> (or <c>a.Mul(b)</c>) of two tensors of broadcastable shapes.</summary>
        Mul,

        /// <summary><c>a - b</c> (or <c>a.Sub(b)</c>) of two tensors of broadcastable shapes.</summary>
        Sub,

        /// <summary><c>a / b</c> (or <c>a.Div(b)</c>) of two tensors of broadcastable shapes.</summary>
        Div,

        /// <summary><c>-x</c> or <c>x.Neg()</c>.</summary>
        Neg,

        /// <summary>
        /// <c>x + s</c> with a scalar known when the graph is bound. The node's first argument is the scalar as the
        /// generated code reads it: a float literal, or the compiled class's field that holds a readonly field of the
        /// module (then the second argument is that field's name).
        /// </summary>
        AddScalar,

        /// <summary><c>x - s</c>.</summary>
        SubScalar,

        /// <summary><c>s - x</c>.</summary>
        RsubScalar,

        /// <summary><c>x * s</c> or <c>s * x</c>.</summary>
        MulScalar,

        /// <summary><c>x / s</c>.</summary>
        DivScalar,

        /// <summary><c>s / x</c>.</summary>
        RdivScalar,

        /// <summary><c>Sigmoid</c> as a child, <c>F.Sigmoid</c> or <c>Tensor.Sigmoid</c>.</summary>
        Sigmoid,

        /// <summary><c>Tanh</c> as a child, <c>F.Tanh</c> or <c>Tensor.Tanh</c>.</summary>
        Tanh,

        /// <summary>Exact GELU: <c>F.Gelu</c> (approximate "none") or <c>Tensor.Gelu</c>.</summary>
        Gelu,

        /// <summary>A <c>MultiheadAttention</c> child's self-attention, <c>Forward(x, x, x, needWeights: false).Output</c>.</summary>
        SelfAttention,

        /// <summary>A <c>TransformerEncoderLayer</c> child's <c>Forward(x)</c>, or one layer of a <c>TransformerEncoder</c> child.</summary>
        TransformerEncoderLayer,

        /// <summary>
        /// One <c>TransformerDecoderLayer</c> (a child, or a layer of a <c>TransformerDecoder</c> or <c>Transformer</c>):
        /// its operands are the target, the memory and the masks passed (see ForwardCapture.Decoder.cs).
        /// </summary>
        TransformerDecoderLayer,

        /// <summary>
        /// An <c>LSTM</c>, <c>GRU</c> or <c>RNN</c> child's <c>Forward</c>: its value is the output; its inputs are the input
        /// and the initial states passed. The arguments are the layer's kind, numLayers, bidirectional, bias, projSize
        /// and how many initial states it reads (see ForwardCapture.Recurrent.cs).
        /// </summary>
        Recurrent,

        /// <summary>The final hidden state of the <see cref="Recurrent"/> node it reads (<c>h_n</c>).</summary>
        RecurrentHidden,

        /// <summary>The final cell state of the LSTM <see cref="Recurrent"/> node it reads (<c>c_n</c>).</summary>
        RecurrentCell,

        /// <summary><c>x.Select(dim, index)</c> or <c>x[index]</c> with constant arguments (dim, index): a copy of the view.</summary>
        Select,

        /// <summary><c>x.Narrow(dim, start, length)</c> with constant arguments: a copy of the view.</summary>
        Narrow,

        /// <summary>
        /// A <c>Parameter</c> member of the module or of an inlined child, read by <c>Forward</c>: an input of the graph
        /// that takes a gradient. The argument is its registry path (<c>weight</c>, <c>block.gamma</c>). ForwardCapture.Parameters.cs.
        /// </summary>
        Parameter,

        /// <summary>A <c>[Buffer]</c> tensor member read by <c>Forward</c>: an input without a gradient, read again at each call. The argument is its registry path.</summary>
        Buffer,

        /// <summary><c>a.Matmul(b)</c>, <c>Tensor.Mm(a, b)</c> or <c>Tensor.Bmm(a, b)</c> of graph values; the argument is the method's name.</summary>
        Matmul,

        /// <summary><c>F.Linear(x, weight)</c> or <c>F.Linear(x, weight, bias)</c> with a weight and bias that are graph values (a module's own parameters).</summary>
        FunctionalLinear,

        // The spatial and normalization layers (ForwardCapture.Spatial.cs).

        /// <summary>
        /// A child's <c>Forward</c> compiled as one composite step over the bound eager layer (AvgPool2d,
        /// AdaptiveAvgPool2d, GroupNorm...). The arguments are the layer's type name, then its parameter members.
        /// </summary>
        Layer,

        /// <summary>
        /// <c>F.Pad(x, ...)</c> with constant arguments: one composite step over the eager function. The arguments are
        /// the rendered arguments after the input, the mode, then the pad sizes.
        /// </summary>
        Pad,

        /// <summary><c>F.Interpolate(x, ...)</c> with constant arguments; the argument is the rendered arguments after the input.</summary>
        Interpolate,

        /// <summary>
        /// A <c>MultiheadAttention</c> child's attention from its query to another key and value,
        /// <c>Forward(q, kv, kv, needWeights: false).Output</c>: the operands are the query, the key and the value, then
        /// the masks (their roles as the arguments, as for <see cref="SelfAttention"/>).
        /// </summary>
        CrossAttention,

        /// <summary>
        /// The weights of a <c>MultiheadAttention</c> call with <c>needWeights: true</c>
        /// (<c>var (y, w) = _attn.Forward(...)</c>), whose one input is the attention's node (a
        /// <see cref="CrossAttention"/> on the weights path): they are kept by its step, and their gradient is handed to
        /// its backward.
        /// </summary>
        AttentionWeights,

        // The activation and small layers (ForwardCapture.Activations.cs).

        /// <summary>
        /// An element-wise activation of its input: <c>SiLU</c>, <c>Mish</c>, <c>Softplus</c>, <c>Hardswish</c> or
        /// <c>LeakyReLU</c> as a child, its <c>F.</c> function or tensor method. The arguments are the kernel's name
        /// (<c>Silu</c>), then its options as float literals (Softplus's beta and threshold, LeakyReLU's slope).
        /// </summary>
        Activation,

        /// <summary>
        /// GELU's tanh approximation (a <c>GELU("tanh")</c> child or <c>F.Gelu(x, approximate: "tanh")</c>), which eager
        /// mode composes of several ops: one composite step over the eager function, as <see cref="Pad"/>. The argument
        /// is the rendered arguments after the input.
        /// </summary>
        GeluTanh,

        /// <summary><c>F.PixelShuffle(x, r)</c> with a constant r: one composite step over the eager function; the argument is the rendered arguments after the input.</summary>
        PixelShuffle,

        /// <summary>A <c>Dropout2d</c> child's <c>Forward</c>: one mask value per channel, drawn from the layer's generator in training mode.</summary>
        Dropout2d,

        // The tensor methods (ForwardCapture.TensorOps.cs).

        /// <summary>
        /// A tensor method on one tensor with constant arguments (<c>x.Sum(1, keepDim: true)</c>, <c>x.Exp()</c>,
        /// <c>x.Max(1).Values</c>): one composite step over the eager method, as <see cref="Pad"/>. The arguments are the
        /// method's name, the lambda's body (<c>x.Sum(dim: 1, keepDim: true)</c>), the shape rule (<c>Reduce</c>,
        /// <c>Elementwise</c>, <c>Triangle</c>, <c>Expand</c>), then what the rule reads: a reduction's keepDim and dims
        /// (none for the whole tensor), the expanded sizes.
        /// </summary>
        TensorFunction,
    }

    /// <summary>One node of a captured graph; its value is the node's index.</summary>
    /// <param name="Op">What it computes.</param>
    /// <param name="Inputs">The nodes whose values it reads, in order.</param>
    /// <param name="Module">For a child's <c>Forward</c>: the child's path in the registry (<c>block.conv</c>); else empty.</param>
    /// <param name="Arguments">Constant arguments as C# text (<c>Flatten</c>'s start and end dims); the child's own options are read from it.</param>
    /// <param name="Source">Where it came from: <c>Net.cs(14): _fc1.Forward(x)</c>.</param>
    internal sealed record GraphNode(GraphOp Op, EquatableArray<int> Inputs, string Module, EquatableArray<string> Arguments, string Source);

    /// <summary>A child module the graph calls, bound by its registry path when the graph is compiled.</summary>
    /// <param name="Path">The registry path (<c>block.conv</c>).</param>
    /// <param name="Type">The child's type, fully qualified.</param>
    internal sealed record BoundModule(string Path, string Type);

    /// <summary>A module's <c>Forward</c> as a graph.</summary>
    /// <param name="Nodes">The nodes in execution order; the first ones are the inputs.</param>
    /// <param name="Output">The node whose value <c>Forward</c> returns.</param>
    /// <param name="Modules">The child modules the graph calls, in order of first use.</param>
    internal sealed record CapturedGraph(EquatableArray<GraphNode> Nodes, int Output, EquatableArray<BoundModule> Modules);

    /// <summary>What the generator writes for a module's <c>Forward</c>: a compiled graph, or the reason it runs eagerly.</summary>
    /// <param name="Parameters">The names of <c>Forward</c>'s tensor parameters.</param>
    /// <param name="Graph">The graph, or null at a graph break.</param>
    /// <param name="Break">Why there is no graph (with its source line), or empty.</param>
    /// <param name="HidesBase">Whether a base class's generated <c>Compile</c> is hidden (so it is declared <c>new</c>).</param>
    /// <param name="Shapes">The graph's symbolic shapes, worked out at build time (null at a graph break, and with variants, whose graphs each have their own).</param>
    /// <param name="Variants">Instead of one graph: a graph per combination of the branches' outcomes (then <paramref name="Graph"/> is null).</param>
    /// <param name="Split">Instead of one graph: the graphs of the parts between its graph breaks, and the eager code between them (then <paramref name="Graph"/> is null).</param>
    internal sealed record ForwardModel(EquatableArray<string> Parameters, CapturedGraph? Graph, string Break, bool HidesBase, GraphShapes? Shapes = null,
        GraphVariants? Variants = null, SplitForward? Split = null);
}
