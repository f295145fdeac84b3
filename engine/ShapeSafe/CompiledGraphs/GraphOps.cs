using System.ComponentModel;
using System.Numerics.Tensors;
using ShapeSafe.Gradients;
using ShapeSafe.Kernels.Convolution;
using ShapeSafe.Kernels.Dropout;
using ShapeSafe.Kernels.Elementwise;
using ShapeSafe.Kernels.Gemm;
using ShapeSafe.Kernels.Normalization;
using ShapeSafe.Kernels.Reduction;
using ShapeSafe.Kernels.Pooling;
using ShapeSafe.Kernels.Strided;
using ShapeSafe.NN;
using ShapeSafe.Shapes;

namespace ShapeSafe.CompiledGraphs;

/// <summary>The activation a compiled matrix product or convolution applies in its epilogue.</summary>
public enum FusedActivation
{
    /// <summary>None: the product plus the bias.</summary>
    None,

    /// <summary>ReLU.</summary>
    Relu,
}

/// <summary>
/// The kernels generated graphs call: the forward and backward kernels eager autograd uses, bound to buffers the
/// graph planned, so the math exists once. Every tensor argument is a contiguous Float32 tensor; every output is
/// overwritten. The shape functions (<c>...Shape</c>, <c>Plan...</c>) check their operands as the eager op does
/// and throw its <see cref="ShapeException"/>; they run once per plan, never per call.
/// This is the surface of generated code, not an API to program against.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class GraphOps
{
    // ------------------------------------------------------------------ shapes and plans

    /// <summary>The output shape of <c>LayerNorm</c> (its input's), checked as <see cref="F.LayerNorm"/> checks it.</summary>
    public static int[] LayerNormShape(int[] input, NN.LayerNorm layer)
    {
        F.LayerNormRows(input, layer.NormalizedShape, layer.Weight, layer.Bias);
        return input;
    }

    /// <summary>How many rows <c>LayerNorm</c> normalizes in an input of <paramref name="input"/> (the length of its saved statistics).</summary>
    public static int LayerNormRows(int[] input, NN.LayerNorm layer) => F.LayerNormRows(input, layer.NormalizedShape, layer.Weight, layer.Bias);

    /// <summary>The output shape of an <c>Embedding</c> on indices of <paramref name="input"/>: the input's shape and the embedding dim.</summary>
    public static int[] EmbeddingShape(int[] input, NN.Embedding layer)
    {
        var shape = new int[input.Length + 1];
        input.CopyTo(shape, 0);
        shape[^1] = layer.Weight.Sizes[1];
        return shape;
    }

    /// <summary>The output shape of a <c>BatchNorm1d</c> or <c>BatchNorm2d</c> (its input's), checked as the layer's <c>Forward</c> checks it.</summary>
    public static int[] BatchNormShape(int[] input, NN.BatchNorm layer)
    {
        layer.CheckInput(input);
        return input;
    }

    /// <summary>
    /// The dim <c>Softmax</c>/<c>LogSoftmax</c> runs along in an input of <paramref name="input"/>: <paramref name="dim"/>
    /// (negative from the end), or the layers' legacy choice when it is null; checked as the eager op checks it.
    /// </summary>
    public static int SoftmaxDim(int[] input, int? dim, string op) =>
        Rules.NormalizeDim(op, dim ?? (input.Length is 0 or 1 or 3 ? 0 : 1), input.Length, input);

    /// <summary>The element count of a tensor of shape <paramref name="shape"/> (the length of a dropout mask).</summary>
    public static int Count(int[] shape) => (int)Tensor.CountOf(shape);

    /// <summary>The output shape of <c>Linear</c> on an input of <paramref name="input"/>, checked as <see cref="F.Linear"/> checks it.</summary>
    public static int[] LinearShape(int[] input, Tensor weight, Tensor? bias) => F.LinearShape(input, weight.Sizes, bias?.Sizes);

    /// <summary>The output shape of <c>Flatten(startDim, endDim)</c>.</summary>
    public static int[] FlattenShape(int[] input, int startDim, int endDim) => Rules.Flatten(input, startDim, endDim);

    /// <summary>The shape of <c>View(sizes)</c> or <c>Reshape(sizes)</c> (<paramref name="op"/>) of a contiguous input, one -1 inferred.</summary>
    public static int[] ViewShape(int[] input, int[] sizes, string op) => Rules.View(Rules.Contiguous(input), sizes, op).Sizes;

    /// <summary>The shape of <c>Squeeze()</c>: every dim of size 1 removed.</summary>
    public static int[] SqueezeShape(int[] input) => Rules.Squeeze(Rules.Contiguous(input)).Sizes;

    /// <summary>The shape of <c>Squeeze(dim)</c>.</summary>
    public static int[] SqueezeShape(int[] input, int dim) => Rules.Squeeze(Rules.Contiguous(input), dim).Sizes;

    /// <summary>The shape of <c>Unsqueeze(dim)</c>.</summary>
    public static int[] UnsqueezeShape(int[] input, int dim) => Rules.Unsqueeze(Rules.Contiguous(input), dim).Sizes;

    /// <summary>The layout of <c>Transpose(dim0, dim1)</c> over a contiguous input, checked as the eager view checks it.</summary>
    public static StridedViewPlan PlanTranspose(int[] input, int dim0, int dim1) => new(Rules.Transpose(Rules.Contiguous(input), dim0, dim1));

    /// <summary>The layout of <c>Permute(dims)</c> over a contiguous input.</summary>
    public static StridedViewPlan PlanPermute(int[] input, int[] dims) => new(Rules.Permute(Rules.Contiguous(input), dims));

    /// <summary><c>x.Size(dim)</c> of a tensor of <paramref name="shape"/> (a view's size read from an input).</summary>
    public static int SizeOf(int[] shape, int dim) => shape[Rules.ExistingDim("Size", dim, shape)];

    /// <summary>The shape of <c>a + b</c>: the broadcast of the two, checked as the eager op checks it.</summary>
    public static int[] AddShape(int[] a, int[] b) => Rules.Broadcast(a, b, "Add");

    /// <summary>The shape of <c>a - b</c>.</summary>
    public static int[] SubShape(int[] a, int[] b) => Rules.Broadcast(a, b, "Sub");

    /// <summary>The shape of <c>a * b</c>.</summary>
    public static int[] MulShape(int[] a, int[] b) => Rules.Broadcast(a, b, "Mul");

    /// <summary>The shape of <c>a / b</c>.</summary>
    public static int[] DivShape(int[] a, int[] b) => Rules.Broadcast(a, b, "Div");

    /// <summary>The geometry of <c>Conv2d</c> on an input of <paramref name="input"/>.</summary>
    public static Conv2dPlan PlanConv2d(int[] input, Tensor weight, Tensor? bias,
        (int Height, int Width) stride, (int Height, int Width) padding, (int Height, int Width) dilation, int groups)
    {
        if (bias is not null && (bias.Rank != 1 || bias.Sizes[0] != weight.Sizes[0]))
            throw new ShapeException("Conv2d", $"bias {Rules.Format(bias.Sizes)} should be [{weight.Sizes[0]}], one per output channel of weight {Rules.Format(weight.Sizes)}");
        return new Conv2dPlan(Conv2dGeometry.Create(input, weight.Sizes, stride, padding, dilation, groups), input.Length == 4);
    }

    /// <summary>The geometry of <paramref name="conv"/>'s convolution on an input of <paramref name="input"/>.</summary>
    /// <exception cref="NotSupportedException">The layer pads other than with zeros, or unevenly ("same" with an even kernel).</exception>
    public static Conv2dPlan PlanConv2d(int[] input, Conv2d conv)
    {
        if (!conv.HasSymmetricZeroPadding)
            throw new NotSupportedException($"Compile: Conv2d with paddingMode \"{conv.PaddingMode}\"{(conv.PaddingString is { } named ? $" and padding \"{named}\"" : "")} is not compiled yet (input {Rules.Format(input)}); call the module's Forward instead of the compiled one");
        return PlanConv2d(input, conv.Weight, conv.Bias, conv.Stride, conv.Padding, conv.Dilation, conv.Groups);
    }

    /// <summary>The geometry of <c>MaxPool2d</c> on an input of <paramref name="input"/>.</summary>
    public static MaxPool2dPlan PlanMaxPool2d(int[] input, (int Height, int Width) kernelSize, (int Height, int Width) stride,
        (int Height, int Width) padding, (int Height, int Width) dilation, bool ceilMode = false) =>
        new(Pool2dGeometry.Create(input, kernelSize, stride, padding, dilation, "MaxPool2d", ceilMode), input);

    /// <summary>The geometry of <paramref name="pool"/> on an input of <paramref name="input"/>.</summary>
    public static MaxPool2dPlan PlanMaxPool2d(int[] input, MaxPool2d pool) =>
        PlanMaxPool2d(input, pool.KernelSize, pool.Stride, pool.Padding, pool.Dilation, pool.CeilMode);

    // ------------------------------------------------------------------ forward

    /// <summary>output = act(input·weightᵀ + bias), the leading dims of <paramref name="input"/> folded into rows.</summary>
    public static void Linear(Tensor input, Tensor weight, Tensor? bias, FusedActivation activation, Tensor output) =>
        LinearGradient.ForwardInto(input, weight, bias, Gemm(activation), output);

    /// <summary>output = act(conv2d(input, weight) + bias).</summary>
    public static void Conv2d(Conv2dPlan plan, Tensor input, Tensor weight, Tensor? bias, FusedActivation activation, Tensor output) =>
        ConvolutionKernel.Forward(plan.Geometry, input.FloatData, input.Offset, weight.FloatData, weight.Offset,
            bias?.FloatData, bias?.Offset ?? 0, output.FloatData, output.Offset, activation == FusedActivation.Relu);

    /// <summary>
    /// output = max_pool2d(relu(conv2d(input, weight) + bias)) as one pass, the argmax in <paramref name="indices"/>;
    /// <paramref name="convolved"/> receives the convolution's output only for images too large to pool as they are
    /// convolved (<see cref="Conv2dPlan.PoolsAsItConvolves"/> false).
    /// </summary>
    public static void Conv2dReluMaxPool(Conv2dPlan conv, MaxPool2dPlan pool, Tensor input, Tensor weight, Tensor? bias,
        Tensor output, int[] indices, Tensor? convolved)
    {
        if (!conv.PoolsAsItConvolves)
        {
            var full = convolved ?? throw new ArgumentNullException(nameof(convolved), "Conv2dReluMaxPool: a banded convolution needs its output buffer");
            Conv2d(conv, input, weight, bias, FusedActivation.Relu, full);
            MaxPool2d(pool, full, output, indices);
            return;
        }
        ConvolutionKernel.Forward(conv.Geometry, input.FloatData, input.Offset, weight.FloatData, weight.Offset,
            bias?.FloatData, bias?.Offset ?? 0, output.FloatData, output.Offset, relu: true, new MaxPoolFusion(pool.Geometry, indices, 0));
    }

    /// <summary>output = max_pool2d(input), the argmax of each window in <paramref name="indices"/>.</summary>
    public static void MaxPool2d(MaxPool2dPlan plan, Tensor input, Tensor output, int[] indices) =>
        MaxPoolKernel.Forward(plan.Geometry, input.FloatData, input.Offset, output.FloatData, output.Offset, indices, 0);

    /// <summary>
    /// output = layer_norm(input) with <paramref name="layer"/>'s weight, bias and eps, each row's mean and 1/std in
    /// <paramref name="mean"/> and <paramref name="invStd"/> for the backward (the kernel <see cref="F.LayerNorm"/> runs).
    /// </summary>
    public static void LayerNorm(NN.LayerNorm layer, Tensor input, Tensor output, float[] mean, float[] invStd) =>
        LayerNormKernel.Forward(mean.Length, RowLength(layer), input.FloatData, input.Offset, layer.Eps, Dense(layer.Weight), Dense(layer.Bias),
            AtStart(output), mean, invStd);

    /// <summary>
    /// output = batch_norm(input) as <see cref="NN.BatchNorm"/>'s <c>Forward</c> runs it, with the kernel and the
    /// running-statistics update <see cref="F.BatchNorm"/> runs: a training call counts the batch and normalizes with
    /// the batch's statistics, updating the running ones; an eval call uses the running ones. Each channel's mean and
    /// 1/std go to <paramref name="mean"/> and <paramref name="invStd"/> for the backward; <paramref name="batchMean"/>
    /// and <paramref name="batchVar"/> are the double scratch of the batch statistics. Returns whether the batch's
    /// statistics were used, for <see cref="BatchNormBackward"/>.
    /// </summary>
    public static bool BatchNorm(NN.BatchNorm layer, Tensor input, Tensor output, float[] mean, float[] invStd, double[] batchMean, double[] batchVar)
    {
        var (batchStatistics, runningMean, runningVar, factor) = layer.CountBatch();
        F.BatchNormInto(input, runningMean, runningVar, Dense(layer.Weight), Dense(layer.Bias), batchStatistics, factor, layer.Eps,
            mean, invStd, batchMean, batchVar, output);
        return batchStatistics;
    }

    /// <summary>
    /// output = the rows of <paramref name="layer"/>'s weight at the Int64 <paramref name="indices"/> (contiguous), each
    /// index checked as <see cref="F.Embedding"/> checks it, with its gather.
    /// </summary>
    public static void Embedding(NN.Embedding layer, Tensor indices, Tensor output)
    {
        var index = indices.LongData.AsSpan(indices.Offset, indices.Count);
        var weight = Contiguous(layer.Weight);
        F.CheckEmbeddingIndices(index, indices.Sizes, weight.Sizes);
        EmbeddingGradient.Gather(index, weight.FloatData, weight.Offset, weight.Sizes[1], Span(output));
    }

    /// <summary>
    /// output = dropout(input) as <see cref="NN.Dropout"/> runs it: in training mode (and p &gt; 0) a mask drawn
    /// into <paramref name="mask"/> as <see cref="F.Dropout"/> draws it, from the layer's generator, and multiplied
    /// in; otherwise a copy. Returns whether the mask applies, for <see cref="DropoutBackward"/>.
    /// </summary>
    public static bool Dropout(NN.Dropout layer, Tensor input, Tensor output, float[] mask)
    {
        if (!layer.Training || layer.P == 0)
        {
            DropoutWithMask(false, input, mask, output);
            return false;
        }
        if (layer.P == 1) mask.AsSpan().Clear();
        else DropoutKernel.Mask(mask, layer.P, layer.Generator);
        DropoutWithMask(true, input, mask, output);
        return true;
    }

    /// <summary>
    /// <see cref="Dropout"/>'s output from the mask it drew, drawing nothing: input·mask when <paramref name="masked"/>,
    /// else a copy. A recomputing backward runs it to make the output again, bit for bit.
    /// </summary>
    public static void DropoutWithMask(bool masked, Tensor input, float[] mask, Tensor output)
    {
        if (masked) TensorPrimitives.Multiply(Span(input), mask, Span(output));
        else Copy(input, output);
    }

    /// <summary>output = softmax(input) along <paramref name="dim"/> (normalized), with the kernel <see cref="Tensor.Softmax"/> runs.</summary>
    public static void Softmax(Tensor input, int dim, Tensor output) => SoftmaxAlong(input, dim, output, log: false);

    /// <summary>output = log_softmax(input) along <paramref name="dim"/> (normalized), with the kernel <see cref="Tensor.LogSoftmax"/> runs.</summary>
    public static void LogSoftmax(Tensor input, int dim, Tensor output) => SoftmaxAlong(input, dim, output, log: true);

    static void SoftmaxAlong(Tensor input, int dim, Tensor output, bool log)
    {
        var (outer, size, inner) = Around(input.Sizes, dim);
        if (input.Count > 0) SoftmaxKernel.Run(input.FloatData, input.Offset, outer, size, inner, AtStart(output), log);
    }

    /// <summary>output = max(input, 0), NaN kept.</summary>
    public static void Relu(Tensor input, Tensor output) => default(ReluOp<float>).Apply(Span(input), Span(output));

    /// <summary>output = tanh(input).</summary>
    public static void Tanh(Tensor input, Tensor output) => default(TanhOp).Apply(Span(input), Span(output));

    /// <summary>output = 1 / (1 + e^-input).</summary>
    public static void Sigmoid(Tensor input, Tensor output) => default(SigmoidOp).Apply(Span(input), Span(output));

    /// <summary>output = exact (erf) GELU of input.</summary>
    public static void Gelu(Tensor input, Tensor output) => default(GeluOp).Apply(Span(input), Span(output));

    /// <summary>output = a · b, broadcasting (the eager op's kernel).</summary>
    public static void Mul(Tensor a, Tensor b, Tensor output) => ElementwiseKernel.BinaryInto<float, MulOp<float>>(a, b, default, output);

    /// <summary>output = a + b, broadcasting.</summary>
    public static void Add(Tensor a, Tensor b, Tensor output) => ElementwiseKernel.BinaryInto<float, AddOp<float>>(a, b, default, output);

    /// <summary>output = a - b, broadcasting.</summary>
    public static void Sub(Tensor a, Tensor b, Tensor output) => ElementwiseKernel.BinaryInto<float, SubOp<float>>(a, b, default, output);

    /// <summary>output = a / b (true division), broadcasting.</summary>
    public static void Div(Tensor a, Tensor b, Tensor output) => ElementwiseKernel.BinaryInto<float, DivOp>(a, b, default, output);

    /// <summary>output = -input.</summary>
    public static void Neg(Tensor input, Tensor output) => default(NegOp<float>).Apply(Span(input), Span(output));

    // A scalar operand is the float the eager op computes with: a double or integer scalar is rounded to float once
    // (ATen's opmath for Float32), which the generated code does where it reads the constant or binds the field.

    /// <summary>output = input + scalar.</summary>
    public static void AddScalar(Tensor input, float scalar, Tensor output) => default(AddOp<float>).Apply(Span(input), scalar, Span(output));

    /// <summary>output = input - scalar.</summary>
    public static void SubScalar(Tensor input, float scalar, Tensor output) => default(SubOp<float>).Apply(Span(input), scalar, Span(output));

    /// <summary>output = scalar - input.</summary>
    public static void RsubScalar(float scalar, Tensor input, Tensor output) => default(SubOp<float>).Apply(scalar, Span(input), Span(output));

    /// <summary>output = input · scalar.</summary>
    public static void MulScalar(Tensor input, float scalar, Tensor output) => default(MulOp<float>).Apply(Span(input), scalar, Span(output));

    /// <summary>output = input / scalar.</summary>
    public static void DivScalar(Tensor input, float scalar, Tensor output) => default(DivOp).Apply(Span(input), scalar, Span(output));

    /// <summary>output = scalar / input.</summary>
    public static void RdivScalar(float scalar, Tensor input, Tensor output) => default(DivOp).Apply(scalar, Span(input), Span(output));

    /// <summary>destination = source, the destination contiguous; a strided source (a transposed view) is read through its strides.</summary>
    public static void Copy(Tensor source, Tensor destination)
    {
        if (source.IsContiguous) Span(source).CopyTo(Span(destination));
        else StridedLayout.Copy(source.FloatData, source.Sizes, source.StrideArray, source.Offset, destination.FloatData, destination.StrideArray, destination.Offset);
    }

    /// <summary>
    /// The view <paramref name="plan"/> describes over <paramref name="source"/>'s storage (a transpose or permute of
    /// a contiguous buffer): it shares the storage, as the eager view does.
    /// </summary>
    public static Tensor Strided(Tensor source, StridedViewPlan plan) => new(source.Storage, plan.Sizes, plan.Strides, source.Offset);

    // ------------------------------------------------------------------ backward

    /// <summary>
    /// A tensor for a gradient the graph hands to autograd (of an input or a parameter): pooled storage that the
    /// backward engine may move into <see cref="Tensor.Grad"/>; contents undefined.
    /// </summary>
    public static Tensor NewGradient(int[] shape) => Tensor.BackwardGradient((int[])shape.Clone());

    /// <summary><see cref="NewGradient(int[])"/> in the shape of <paramref name="like"/> (a parameter).</summary>
    public static Tensor NewGradient(Tensor like) => Tensor.BackwardGradient((int[])like.Sizes.Clone());

    /// <summary>A view of the contiguous <paramref name="tensor"/> in <paramref name="shape"/> (same element count), sharing its storage.</summary>
    public static Tensor View(Tensor tensor, int[] shape) => tensor.Detach().View(shape);

    /// <summary>The gradients of <see cref="Linear"/> (without activation) for <paramref name="gradOutput"/>; each non-null target is overwritten.</summary>
    public static void LinearBackward(Tensor gradOutput, Tensor input, Tensor weight, Tensor? gradInput, Tensor? gradWeight, Tensor? gradBias) =>
        LinearGradient.BackwardInto(gradOutput, input, weight, gradInput, gradWeight, gradBias);

    /// <summary>gradInput = gradOutput where output &gt; 0, else 0 (ReLU's backward from its output; may run in place).</summary>
    public static void ReluBackward(Tensor gradOutput, Tensor output, Tensor gradInput) =>
        ElementwiseGradient.ReluBackward(Span(gradOutput), Span(output), Span(gradInput));

    /// <summary>gradInput = gradOutput·(1 - output²) (tanh's backward from its output; may run in place).</summary>
    public static void TanhBackward(Tensor gradOutput, Tensor output, Tensor gradInput) =>
        ElementwiseGradient.TanhBackward(Span(gradOutput), Span(output), Span(gradInput));

    /// <summary>gradInput = gradOutput·(1 - output)·output (sigmoid's backward from its output; may run in place).</summary>
    public static void SigmoidBackward(Tensor gradOutput, Tensor output, Tensor gradInput) =>
        ElementwiseGradient.SigmoidBackward(Span(gradOutput), Span(output), Span(gradInput));

    /// <summary>GELU's backward from its input (may run in place).</summary>
    public static void GeluBackward(Tensor gradOutput, Tensor input, Tensor gradInput) =>
        ElementwiseGradient.GeluBackward(Span(gradOutput), Span(input), Span(gradInput));

    /// <summary>gradInput = gradOutput·other: one operand's gradient of a product of equal shapes.</summary>
    public static void MulBackward(Tensor gradOutput, Tensor other, Tensor gradInput) =>
        TensorPrimitives.Multiply(Span(gradOutput), Span(other), Span(gradInput));

    /// <summary>
    /// One operand's gradient of a broadcasting product: gradOutput·other, summed to <paramref name="gradInput"/>'s
    /// shape; <paramref name="scratch"/> (the output's shape) holds the product when the operand was broadcast.
    /// </summary>
    public static void MulBackward(Tensor gradOutput, Tensor other, Tensor scratch, Tensor gradInput) =>
        ElementwiseGradient.FactorInto(gradOutput, other, scratch, gradInput);

    /// <summary>A sum's or a difference's first operand: gradOutput summed to <paramref name="gradInput"/>'s shape (a copy when the shapes agree).</summary>
    public static void SumToShape(Tensor gradOutput, Tensor gradInput) => GradientKernels.SumToShapeInto(gradOutput, gradInput, negate: false);

    /// <summary>A difference's second operand: -gradOutput summed to <paramref name="gradInput"/>'s shape.</summary>
    public static void SubBackward(Tensor gradOutput, Tensor gradInput) => ElementwiseGradient.SubtrahendInto(gradOutput, gradInput);

    /// <summary>A quotient's dividend: gradOutput / divisor, summed to <paramref name="gradInput"/>'s shape.</summary>
    public static void DivBackward(Tensor gradOutput, Tensor divisor, Tensor scratch, Tensor gradInput) =>
        ElementwiseGradient.DividendInto(gradOutput, divisor, scratch, gradInput);

    /// <summary>A quotient's divisor: -gradOutput·dividend / divisor², summed to <paramref name="gradInput"/>'s shape.</summary>
    public static void DivisorBackward(Tensor gradOutput, Tensor dividend, Tensor divisor, Tensor scratch, Tensor gradInput) =>
        ElementwiseGradient.DivisorInto(gradOutput, dividend, divisor, scratch, gradInput);

    /// <summary>
    /// A transpose's or permute's backward: the gradient added into zeros of the input's shape through the view's
    /// layout, the kernel eager autograd runs for every view.
    /// </summary>
    public static void PermuteBackward(Tensor gradOutput, StridedViewPlan plan, Tensor gradInput) =>
        GradientKernels.ScatterAddInto(gradOutput, gradInput, plan.Layout);

    /// <summary>gradInput = -gradOutput (negation's and <c>scalar - x</c>'s backward).</summary>
    public static void NegBackward(Tensor gradOutput, Tensor gradInput) => Neg(gradOutput, gradInput);

    /// <summary>gradInput = gradOutput·scalar (<c>x * scalar</c>'s backward).</summary>
    public static void MulScalarBackward(Tensor gradOutput, float scalar, Tensor gradInput) => MulScalar(gradOutput, scalar, gradInput);

    /// <summary>gradInput = gradOutput / scalar (<c>x / scalar</c>'s backward).</summary>
    public static void DivScalarBackward(Tensor gradOutput, float scalar, Tensor gradInput) => DivScalar(gradOutput, scalar, gradInput);

    /// <summary>
    /// <c>scalar / x</c>'s backward from its input and output: gradInput = -gradOutput·output / input, the formula
    /// eager autograd uses (<c>ElementwiseGradient.ScalarDivBy</c>), in its order of rounding.
    /// </summary>
    public static void RdivScalarBackward(Tensor gradOutput, Tensor input, Tensor output, Tensor gradInput) =>
        ElementwiseGradient.ScalarDivByInto(gradOutput, input, output, gradInput);

    /// <summary>
    /// The gradients of <see cref="Conv2d"/>; with <paramref name="reluOutput"/> (a fused ReLU's output) the gradient
    /// is taken as zero where that output is not positive.
    /// </summary>
    public static void Conv2dBackward(Conv2dPlan plan, Tensor gradOutput, Tensor input, Tensor weight,
        Tensor? gradInput, Tensor? gradWeight, Tensor? gradBias, Tensor? reluOutput) =>
        ConvolutionKernel.Backward(plan.Geometry, input.FloatData, input.Offset, weight.FloatData, weight.Offset,
            gradOutput.FloatData, gradOutput.Offset,
            gradInput?.FloatData, gradInput?.Offset ?? 0, gradWeight?.FloatData, gradWeight?.Offset ?? 0, gradBias?.FloatData, gradBias?.Offset ?? 0,
            reluOutput?.FloatData, reluOutput?.Offset ?? 0);

    /// <summary>
    /// The gradients of <see cref="Conv2dReluMaxPool"/>: the pooled gradient routed through the argmax and the ReLU's
    /// mask straight into the convolution's. <paramref name="convolved"/> and <paramref name="convolvedGrad"/> are used
    /// only when the forward did not pool as it convolved.
    /// </summary>
    public static void Conv2dReluMaxPoolBackward(Conv2dPlan conv, MaxPool2dPlan pool, Tensor gradOutput, Tensor input, Tensor weight,
        Tensor output, int[] indices, Tensor? gradInput, Tensor? gradWeight, Tensor? gradBias, Tensor? convolved, Tensor? convolvedGrad)
    {
        if (!conv.PoolsAsItConvolves)
        {
            var full = convolved ?? throw new ArgumentNullException(nameof(convolved));
            var fullGrad = convolvedGrad ?? throw new ArgumentNullException(nameof(convolvedGrad));
            MaxPool2dBackward(pool, gradOutput, indices, fullGrad);
            Conv2dBackward(conv, fullGrad, input, weight, gradInput, gradWeight, gradBias, reluOutput: full);
            return;
        }
        ConvolutionKernel.Backward(conv.Geometry, input.FloatData, input.Offset, weight.FloatData, weight.Offset,
            gradOutput.FloatData, gradOutput.Offset,
            gradInput?.FloatData, gradInput?.Offset ?? 0, gradWeight?.FloatData, gradWeight?.Offset ?? 0, gradBias?.FloatData, gradBias?.Offset ?? 0,
            output.FloatData, output.Offset, new MaxPoolFusion(pool.Geometry, indices, 0));
    }

    /// <summary>The gradients of <see cref="LayerNorm"/> for <paramref name="gradOutput"/>; each non-null target is overwritten.</summary>
    public static void LayerNormBackward(NN.LayerNorm layer, Tensor gradOutput, Tensor input, float[] mean, float[] invStd,
        Tensor? gradInput, Tensor? gradWeight, Tensor? gradBias) =>
        LayerNormKernel.Backward(mean.Length, RowLength(layer), input.FloatData, input.Offset, gradOutput.FloatData, gradOutput.Offset,
            mean, invStd, Dense(layer.Weight), gradInput is null ? null : AtStart(gradInput),
            gradWeight is null ? null : AtStart(gradWeight), gradBias is null ? null : AtStart(gradBias));

    /// <summary>
    /// The gradients of <see cref="BatchNorm"/> for <paramref name="gradOutput"/> (the kernel eager autograd runs),
    /// through the batch's statistics when the forward used them; each non-null target is overwritten.
    /// </summary>
    public static void BatchNormBackward(NN.BatchNorm layer, bool batchStatistics, Tensor gradOutput, Tensor input, float[] mean, float[] invStd,
        Tensor? gradInput, Tensor? gradWeight, Tensor? gradBias)
    {
        int n = input.Sizes[0], c = input.Sizes[1], s = input.Count / Math.Max(n * c, 1);
        BatchNormKernel.Backward(n, c, s, input.FloatData, input.Offset, gradOutput.FloatData, gradOutput.Offset, mean, invStd, Dense(layer.Weight),
            batchStatistics, gradInput is null ? null : AtStart(gradInput), gradWeight is null ? null : AtStart(gradWeight), gradBias is null ? null : AtStart(gradBias));
    }

    /// <summary>
    /// The dense gradient of <see cref="Embedding"/>'s weight (eager autograd's kernel): each output-gradient row added
    /// into its index's row of zeros, the padding index's row left at zero. Nothing is written when the weight needs no gradient.
    /// </summary>
    public static void EmbeddingBackward(NN.Embedding layer, Tensor gradOutput, Tensor indices, Tensor? gradWeight)
    {
        if (gradWeight is null) return;
        int dim = layer.Weight.Sizes[1];
        EmbeddingGradient.BackwardInto(Span(gradOutput), indices.LongData.AsSpan(indices.Offset, indices.Count), layer.Weight.Sizes[0], dim,
            layer.PaddingIdx, AtStart(gradWeight));
    }

    /// <summary>Softmax's backward from its output y: gradInput = y·(g - Σ g·y) along <paramref name="dim"/>.</summary>
    public static void SoftmaxBackward(Tensor gradOutput, Tensor output, int dim, Tensor gradInput) =>
        SoftmaxBackwardAlong(gradOutput, output, dim, gradInput, log: false);

    /// <summary>Log-softmax's backward from its output y: gradInput = g - exp(y)·Σ g along <paramref name="dim"/>.</summary>
    public static void LogSoftmaxBackward(Tensor gradOutput, Tensor output, int dim, Tensor gradInput) =>
        SoftmaxBackwardAlong(gradOutput, output, dim, gradInput, log: true);

    static void SoftmaxBackwardAlong(Tensor gradOutput, Tensor output, int dim, Tensor gradInput, bool log)
    {
        var (outer, size, inner) = Around(output.Sizes, dim);
        Span<float> g = Span(gradOutput), y = Span(output), dx = Span(gradInput);
        for (int o = 0; o < outer; o++)
            for (int i = 0; i < inner; i++)
            {
                // One pass for the row's sum (Σ g for log-softmax, Σ g·y for softmax), one to write the gradient.
                int start = o * size * inner + i;
                float sum = 0;
                for (int k = 0; k < size; k++) sum += log ? g[start + k * inner] : g[start + k * inner] * y[start + k * inner];
                for (int k = 0; k < size; k++)
                {
                    int at = start + k * inner;
                    dx[at] = log ? g[at] - MathF.Exp(y[at]) * sum : (g[at] - sum) * y[at];
                }
            }
    }

    /// <summary>A tensor of <paramref name="sizes"/> seen as [outer, size, inner] around dim <paramref name="dim"/>.</summary>
    static (int Outer, int Size, int Inner) Around(int[] sizes, int dim)
    {
        int outer = 1, inner = 1;
        for (int i = 0; i < dim; i++) outer *= sizes[i];
        for (int i = dim + 1; i < sizes.Length; i++) inner *= sizes[i];
        return (outer, sizes.Length == 0 ? 1 : sizes[dim], inner);
    }

    /// <summary>gradInput = gradOutput·mask when the forward's mask applied, else gradOutput (see <see cref="Dropout"/>).</summary>
    public static void DropoutBackward(bool masked, Tensor gradOutput, float[] mask, Tensor gradInput)
    {
        if (masked) TensorPrimitives.Multiply(Span(gradOutput), mask, Span(gradInput));
        else Copy(gradOutput, gradInput);
    }

    /// <summary>gradInput = zeros with each output gradient added at its window's argmax.</summary>
    public static void MaxPool2dBackward(MaxPool2dPlan plan, Tensor gradOutput, int[] indices, Tensor gradInput) =>
        MaxPoolKernel.Backward(plan.Geometry, gradOutput.FloatData, gradOutput.Offset, indices, 0, gradInput.FloatData, gradInput.Offset);

    /// <summary>accumulator += value (equal shapes): a gradient that reaches a tensor along a second path.</summary>
    public static void AddInPlace(Tensor accumulator, Tensor value) =>
        TensorPrimitives.Add(Span(accumulator), Span(value), Span(accumulator));

    /// <summary>
    /// A contiguous tensor the graph can read as it is: <paramref name="tensor"/> itself, or a contiguous copy of a
    /// strided view (the graph's inputs are the only tensors that can be strided).
    /// </summary>
    public static Tensor Contiguous(Tensor tensor) => tensor.IsContiguous ? tensor : tensor.Detach().Contiguous();

    static Span<float> Span(Tensor t) => t.FloatData.AsSpan(t.Offset, t.Count);

    static int RowLength(NN.LayerNorm layer) => Count(layer.NormalizedShape);

    /// <summary>A parameter's values as the row kernels read them (from index 0): its own array when it is exactly that.</summary>
    static float[]? Dense(Tensor? t) =>
        t is null ? null : t.IsContiguous && t.Offset == 0 && t.FloatData.Length == t.Count ? t.FloatData : t.Detach().ToFloatArray();

    /// <summary>The array of a buffer the graph planned (outputs, gradients): views of arena slots start at index 0.</summary>
    static float[] AtStart(Tensor t) => t.Offset == 0
        ? t.FloatData
        : throw new InvalidOperationException("Compile: a planned buffer does not start its storage (offset " + t.Offset + ")");

    static GemmActivation Gemm(FusedActivation activation) => activation == FusedActivation.Relu ? GemmActivation.Relu : GemmActivation.None;
}

/// <summary>A convolution's geometry for one input shape, made once per plan.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class Conv2dPlan
{
    internal Conv2dPlan(Conv2dGeometry geometry, bool batched)
    {
        Geometry = geometry;
        OutputSizes = batched
            ? new[] { geometry.Batch, geometry.OutChannels, geometry.OutHeight, geometry.OutWidth }
            : new[] { geometry.OutChannels, geometry.OutHeight, geometry.OutWidth };
        PoolsAsItConvolves = !ConvolutionKernel.NeedsBands(geometry);
    }

    internal Conv2dGeometry Geometry { get; }

    /// <summary>The convolution's output shape.</summary>
    public int[] OutputSizes { get; }

    /// <summary>Whether a following max pool can run inside the convolution (false for images convolved band by band).</summary>
    public bool PoolsAsItConvolves { get; }
}

/// <summary>A max pool's geometry for one input shape, made once per plan.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class MaxPool2dPlan
{
    internal MaxPool2dPlan(Pool2dGeometry geometry, int[] input)
    {
        Geometry = geometry;
        OutputSizes = (int[])input.Clone();
        OutputSizes[^2] = geometry.OutHeight;
        OutputSizes[^1] = geometry.OutWidth;
        IndexCount = (int)Tensor.CountOf(OutputSizes);
    }

    internal Pool2dGeometry Geometry { get; }

    /// <summary>The pooled shape.</summary>
    public int[] OutputSizes { get; }

    /// <summary>How many argmax entries the pool writes (one per output element).</summary>
    public int IndexCount { get; }
}

/// <summary>A transposed or permuted view's layout over its contiguous source, for one input shape; made once per plan.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class StridedViewPlan
{
    internal StridedViewPlan(Layout<int> layout) => Layout = layout;

    internal Layout<int> Layout { get; }

    /// <summary>The view's shape.</summary>
    public int[] Sizes => Layout.Sizes;

    /// <summary>The view's strides over its source's storage.</summary>
    public int[] Strides => Layout.Strides;
}
