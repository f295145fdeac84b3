using ShapeSafe.Gradients;
using ShapeSafe.Kernels.Convolution;
using ShapeSafe.Kernels.Memory;
using ShapeSafe.Kernels.Pooling;
using ShapeSafe.Tracing;

namespace ShapeSafe;

// Convolution and pooling (PyTorch's F.conv2d, F.max_pool2d, F.avg_pool2d). Shapes come from the
// shared rules (through the kernels' geometry); the arithmetic is the plain kernels under Kernels/,
// which the recorded backward nodes call too.
public partial class Tensor
{
    /// <summary>
    /// PyTorch's <c>conv2d</c>: input [N, C, H, W] or unbatched [C, H, W], weight [O, C/groups, kH, kW],
    /// optional bias [O] → [N, O, OH, OW] (or [O, OH, OW]), with the same stride, padding and dilation
    /// along both spatial dims.
    /// </summary>
    [ShapeContract("Conv2d")]
    public static Tensor Conv2d(Tensor input, Tensor weight, Tensor? bias = null,
        int stride = 1, int padding = 0, int dilation = 1, int groups = 1)
        => Conv2d(input, weight, bias, (stride, stride), (padding, padding), (dilation, dilation), groups);

    /// <summary>
    /// PyTorch's <c>conv2d</c> with (height, width) pairs for stride, padding and dilation
    /// (padding defaults to (0, 0), dilation to (1, 1)).
    /// </summary>
    [ShapeContract("Conv2d")]
    public static Tensor Conv2d(Tensor input, Tensor weight, Tensor? bias,
        (int Height, int Width) stride, (int Height, int Width) padding = default, (int Height, int Width)? dilation = null,
        int groups = 1) => Conv2dCore(input, weight, bias, stride, padding, dilation, groups, relu: false);

    /// <summary>
    /// <c>relu(conv2d(...))</c> as one op (Sequential fuses Conv2d followed by ReLU): the ReLU runs in the
    /// convolution's epilogue, so the pre-activation is never stored; records "ReluBackward", whose backward is the
    /// convolution's, masking the gradient as it reads it.
    /// </summary>
    internal static Tensor Conv2dCore(Tensor input, Tensor weight, Tensor? bias,
        (int Height, int Width) stride, (int Height, int Width) padding, (int Height, int Width)? dilation,
        int groups, bool relu) => OpTrace.Active
        ? OpTrace.Run("Conv2d", [input, weight, bias], () => Conv2dUntraced(input, weight, bias, stride, padding, dilation, groups, relu),
            ("stride", Pair(stride)), ("padding", Pair(padding)), ("dilation", Pair(dilation ?? (1, 1))), ("groups", groups), ("relu", relu))
        : Conv2dUntraced(input, weight, bias, stride, padding, dilation, groups, relu);

    static int[] Pair((int Height, int Width) p) => [p.Height, p.Width];

    static Tensor Conv2dUntraced(Tensor input, Tensor weight, Tensor? bias,
        (int Height, int Width) stride, (int Height, int Width) padding, (int Height, int Width)? dilation,
        int groups, bool relu)
    {
        if (Autograd.IsAutocastEnabled)
            (input, weight, bias) = (AutocastLower(input), AutocastLower(weight), AutocastLowerOptional(bias));
        if (AllBFloat16(input, weight, bias))
            return Conv2dBFloat16(input, weight, bias, stride, padding, dilation, groups, relu);
        if (input.DType == DType.Float64) return Conv2dFloat64(input, weight, bias, stride, padding, dilation, groups, relu);
        var (geometry, x, w, b) = PrepareConv2d(input, weight, bias, stride, padding, dilation, groups);
        int[] outShape = input.Rank == 4
            ? new[] { geometry.Batch, geometry.OutChannels, geometry.OutHeight, geometry.OutWidth }
            : new[] { geometry.OutChannels, geometry.OutHeight, geometry.OutWidth };
        var result = Uninitialized(DType.Float32, outShape);
        ConvolutionKernel.Forward(geometry, x.FloatData, x.Offset, w.FloatData, w.Offset, b?.FloatData, b?.Offset ?? 0, result.FloatData, 0, relu);

        bool inputGrad = input.RequiresGrad, weightGrad = weight.RequiresGrad, biasGrad = bias?.RequiresGrad == true;
        if (!(inputGrad || weightGrad || biasGrad) || !Autograd.IsGradEnabled)
            return result;
        if (!relu)
        {
            return result.Recorded("ConvolutionBackward", new Tensor?[] { input, weight, bias },
                g => ConvolutionGradient.Compute(g, x, w, geometry, inputGrad, weightGrad, biasGrad));
        }
        // The ReLU's mask is applied inside the convolution's backward, as it gathers the gradient.
        return result.Recorded("ReluBackward", new Tensor?[] { input, weight, bias },
            g => ConvolutionGradient.Compute(g, x, w, geometry, inputGrad, weightGrad, biasGrad, reluOutput: result));
    }

    // BFloat16 operands: float32 sums of the widened operands, rounded once (as ATen's CPU kernels), by the BFloat16
    // kernels, which widen the operands where they pack them, so no operand is converted whole. The gradients are the
    // float32 ones, each rounded once. An image too large for one column matrix (the banded kernels are float32 only)
    // goes through float32 tensors instead, with the same values.
    static Tensor Conv2dBFloat16(Tensor input, Tensor weight, Tensor? bias,
        (int Height, int Width) stride, (int Height, int Width) padding, (int Height, int Width)? dilation,
        int groups, bool relu)
    {
        var geometry = Conv2dGeometry.Create(input.Sizes, weight.Sizes, stride, padding, dilation ?? (1, 1), groups);
        CheckConv2dBias(bias, geometry, input, weight);
        if (ConvolutionKernel.NeedsBands(geometry))
            return ThroughFloat32(input, weight, bias, (x, w, b) => Conv2dUntraced(x, w!, b, stride, padding, dilation, groups, relu));
        var x = input.Detach().Contiguous();
        var w = weight.Detach().Contiguous();
        var b = bias?.Detach().Contiguous();
        int[] outShape = input.Rank == 4
            ? new[] { geometry.Batch, geometry.OutChannels, geometry.OutHeight, geometry.OutWidth }
            : new[] { geometry.OutChannels, geometry.OutHeight, geometry.OutWidth };
        var result = Uninitialized(DType.BFloat16, outShape);
        ConvolutionKernel.ForwardBFloat16(geometry, x.BFloat16Data, x.Offset, w.BFloat16Data, w.Offset, b?.BFloat16Data, b?.Offset ?? 0,
            result.BFloat16Data, 0, relu);
        bool inputGrad = input.RequiresGrad, weightGrad = weight.RequiresGrad, biasGrad = bias?.RequiresGrad == true;
        if (!(inputGrad || weightGrad || biasGrad) || !Autograd.IsGradEnabled)
            return result;
        return result.Recorded(relu ? "ReluBackward" : "ConvolutionBackward", new Tensor?[] { input, weight, bias },
            g => ConvolutionGradient.ComputeBFloat16(g, x, w, geometry, inputGrad, weightGrad, biasGrad, reluOutput: relu ? result : null));
    }

    /// <summary>
    /// <c>max_pool2d(relu(conv2d(...)))</c> as one op (Sequential fuses Conv2d, ReLU, MaxPool2d): the convolution's
    /// output is pooled chunk by chunk as it is made, so neither it nor the ReLU's output is ever stored. Records
    /// "MaxPool2DWithIndicesBackward", whose backward routes the gradient through the argmax and the ReLU's mask
    /// straight into the convolution's.
    /// </summary>
    internal static Tensor Conv2dReluMaxPool(Tensor input, Tensor weight, Tensor? bias,
        (int Height, int Width) stride, (int Height, int Width) padding, (int Height, int Width)? dilation, int groups,
        (int Height, int Width) poolKernel, (int Height, int Width) poolStride, (int Height, int Width) poolPadding,
        (int Height, int Width) poolDilation) => OpTrace.Active
        ? OpTrace.Run("Conv2dReluMaxPool", [input, weight, bias],
            () => Conv2dReluMaxPoolUntraced(input, weight, bias, stride, padding, dilation, groups, poolKernel, poolStride, poolPadding, poolDilation),
            ("stride", Pair(stride)), ("padding", Pair(padding)), ("dilation", Pair(dilation ?? (1, 1))), ("groups", groups),
            ("poolKernel", Pair(poolKernel)), ("poolStride", Pair(poolStride)), ("poolPadding", Pair(poolPadding)), ("poolDilation", Pair(poolDilation)))
        : Conv2dReluMaxPoolUntraced(input, weight, bias, stride, padding, dilation, groups, poolKernel, poolStride, poolPadding, poolDilation);

    static Tensor Conv2dReluMaxPoolUntraced(Tensor input, Tensor weight, Tensor? bias,
        (int Height, int Width) stride, (int Height, int Width) padding, (int Height, int Width)? dilation, int groups,
        (int Height, int Width) poolKernel, (int Height, int Width) poolStride, (int Height, int Width) poolPadding,
        (int Height, int Width) poolDilation)
    {
        if (Autograd.IsAutocastEnabled)
            (input, weight, bias) = (AutocastLower(input), AutocastLower(weight), AutocastLowerOptional(bias));
        if (input.DType is DType.BFloat16 or DType.Float64)
        {
            if (AllBFloat16(input, weight, bias) && NonOverlapping(poolKernel, poolStride, poolDilation))
            {
                var geometry16 = Conv2dGeometry.Create(input.Sizes, weight.Sizes, stride, padding, dilation ?? (1, 1), groups);
                CheckConv2dBias(bias, geometry16, input, weight);
                if (!ConvolutionKernel.NeedsBands(geometry16))
                    return Conv2dReluMaxPoolBFloat16(input, weight, bias, geometry16, poolKernel, poolStride, poolPadding, poolDilation);
            }
            // The convolution runs in BFloat16 or Float64 on its own; the pool then runs in its output's dtype.
            return MaxPool2d(Conv2dCore(input, weight, bias, stride, padding, dilation, groups, relu: true), poolKernel, poolStride, poolPadding, poolDilation);
        }
        var (geometry, x, w, b) = PrepareConv2d(input, weight, bias, stride, padding, dilation, groups);
        if (ConvolutionKernel.NeedsBands(geometry))
        {
            // An image too large for one column matrix is convolved band by band; the pool then runs on its own.
            var convolved = Conv2dCore(input, weight, bias, stride, padding, dilation, groups, relu: true);
            return MaxPool2d(convolved, poolKernel, poolStride, poolPadding, poolDilation);
        }
        int[] convShape = input.Rank == 4
            ? new[] { geometry.Batch, geometry.OutChannels, geometry.OutHeight, geometry.OutWidth }
            : new[] { geometry.OutChannels, geometry.OutHeight, geometry.OutWidth };
        var poolGeometry = Pool2dGeometry.Create(convShape, poolKernel, poolStride, poolPadding, poolDilation, "MaxPool2d");
        var values = Uninitialized(DType.Float32, PooledShape(convShape, poolGeometry));
        bool inputGrad = input.RequiresGrad, weightGrad = weight.RequiresGrad, biasGrad = bias?.RequiresGrad == true;
        bool record = (inputGrad || weightGrad || biasGrad) && Autograd.IsGradEnabled;

        // The argmax lives in an array from BufferPool: handed back at once without a graph, else when the node is released.
        int[] argmax = BufferPool.RentInts(values.Count);
        var fusion = new MaxPoolFusion(poolGeometry, argmax, 0);
        ConvolutionKernel.Forward(geometry, x.FloatData, x.Offset, w.FloatData, w.Offset, b?.FloatData, b?.Offset ?? 0,
            values.FloatData, 0, relu: true, fusion);
        if (!record)
        {
            BufferPool.ReturnInts(argmax);
            return values;
        }
        values.Recorded("MaxPool2DWithIndicesBackward", new Tensor?[] { input, weight, bias },
            g => ConvolutionGradient.Compute(g, x, w, geometry, inputGrad, weightGrad, biasGrad, reluOutput: values, pool: fusion));
        values.GradNode!.Released = () => BufferPool.ReturnInts(argmax);
        return values;
    }

    // Whether no two pooling windows share an input position: then the fused BFloat16 backward, which adds each pooled
    // gradient where its window's argmax lies, gives the sums the unfused ops would round (single values, exact).
    static bool NonOverlapping((int Height, int Width) kernel, (int Height, int Width) stride, (int Height, int Width) dilation) =>
        stride.Height >= dilation.Height * (kernel.Height - 1) + 1 && stride.Width >= dilation.Width * (kernel.Width - 1) + 1;

    // The fused op for BFloat16 operands: the convolution's rounded output is pooled chunk by chunk as it is made, so the
    // values, the argmax and the gradients are those of the unfused BFloat16 Conv2d + ReLU and MaxPool2d.
    static Tensor Conv2dReluMaxPoolBFloat16(Tensor input, Tensor weight, Tensor? bias, Conv2dGeometry geometry,
        (int Height, int Width) poolKernel, (int Height, int Width) poolStride, (int Height, int Width) poolPadding,
        (int Height, int Width) poolDilation)
    {
        var x = input.Detach().Contiguous();
        var w = weight.Detach().Contiguous();
        var b = bias?.Detach().Contiguous();
        int[] convShape = input.Rank == 4
            ? new[] { geometry.Batch, geometry.OutChannels, geometry.OutHeight, geometry.OutWidth }
            : new[] { geometry.OutChannels, geometry.OutHeight, geometry.OutWidth };
        var poolGeometry = Pool2dGeometry.Create(convShape, poolKernel, poolStride, poolPadding, poolDilation, "MaxPool2d");
        var values = Uninitialized(DType.BFloat16, PooledShape(convShape, poolGeometry));
        bool inputGrad = input.RequiresGrad, weightGrad = weight.RequiresGrad, biasGrad = bias?.RequiresGrad == true;
        bool record = (inputGrad || weightGrad || biasGrad) && Autograd.IsGradEnabled;
        int[] argmax = BufferPool.RentInts(values.Count);
        var fusion = new MaxPoolFusion(poolGeometry, argmax, 0);
        ConvolutionKernel.ForwardBFloat16(geometry, x.BFloat16Data, x.Offset, w.BFloat16Data, w.Offset, b?.BFloat16Data, b?.Offset ?? 0,
            values.BFloat16Data, 0, relu: true, fusion);
        if (!record)
        {
            BufferPool.ReturnInts(argmax);
            return values;
        }
        values.Recorded("MaxPool2DWithIndicesBackward", new Tensor?[] { input, weight, bias },
            g => ConvolutionGradient.ComputeBFloat16(g, x, w, geometry, inputGrad, weightGrad, biasGrad, reluOutput: values, pool: fusion));
        values.GradNode!.Released = () => BufferPool.ReturnInts(argmax);
        return values;
    }

    // The checks and contiguous operands every Conv2d variant starts from.
    static (Conv2dGeometry Geometry, Tensor X, Tensor W, Tensor? B) PrepareConv2d(Tensor input, Tensor weight, Tensor? bias,
        (int Height, int Width) stride, (int Height, int Width) padding, (int Height, int Width)? dilation, int groups)
    {
        const string op = "Conv2d";
        CheckFloat(op, input, weight);
        var geometry = Conv2dGeometry.Create(input.Sizes, weight.Sizes, stride, padding, dilation ?? (1, 1), groups);
        if (bias is not null && bias.DType != DType.Float32)
            throw new ArgumentException($"{op}: expected a Float32 bias, got {bias.DType}");
        CheckConv2dBias(bias, geometry, input, weight);
        // The kernels read contiguous arrays; these copies are plumbing, not part of the graph.
        return (geometry, input.Detach().Contiguous(), weight.Detach().Contiguous(), bias?.Detach().Contiguous());
    }

    static void CheckConv2dBias(Tensor? bias, in Conv2dGeometry geometry, Tensor input, Tensor weight)
    {
        if (bias is not null && (bias.Rank != 1 || bias.Sizes[0] != geometry.OutChannels))
            throw new ShapeException("Conv2d",
                $"bias of shape {Rules.Format(bias.Sizes)} should be [{geometry.OutChannels}], one per output channel of weight {Rules.Format(weight.Sizes)} (input {Rules.Format(input.Sizes)})");
    }

    /// <summary>
    /// PyTorch's <c>max_pool2d</c>: the maximum of each kernelSize × kernelSize window of [N, C, H, W] or
    /// [C, H, W]; stride defaults to the kernel size; padding (at most half the kernel) never wins. With
    /// <paramref name="ceilMode"/> the output size rounds up, so a last partial window counts (ResNet's and
    /// GoogLeNet's pools).
    /// </summary>
    [ShapeContract("Pool2d")]
    public static Tensor MaxPool2d(Tensor input, int kernelSize, int? stride = null, int padding = 0, int dilation = 1, bool ceilMode = false)
    {
        int s = stride ?? kernelSize;
        return MaxPool2d(input, (kernelSize, kernelSize), (s, s), (padding, padding), (dilation, dilation), ceilMode);
    }

    /// <summary>PyTorch's <c>max_pool2d</c> with (height, width) pairs; stride defaults to the kernel size.</summary>
    [ShapeContract("Pool2d")]
    public static Tensor MaxPool2d(Tensor input, (int Height, int Width) kernelSize, (int Height, int Width)? stride = null,
        (int Height, int Width) padding = default, (int Height, int Width)? dilation = null, bool ceilMode = false) =>
        input.DType == DType.BFloat16
        // The maximum of BFloat16 values is one of them: through float32 it is exact.
        ? ThroughFloat32(input, x => MaxPool2d(x, kernelSize, stride, padding, dilation, ceilMode))
        : OpTrace.Active
        ? OpTrace.Run("MaxPool2d", [input], () => MaxPool2dCore(input, kernelSize, stride, padding, dilation, ceilMode, publicIndices: false).Values,
            PoolAttributes(kernelSize, stride, padding, ("dilation", Pair(dilation ?? (1, 1))), ceilMode, null))
        : MaxPool2dCore(input, kernelSize, stride, padding, dilation, ceilMode, publicIndices: false).Values;

    /// <summary>
    /// PyTorch's <c>max_pool2d(..., return_indices=True)</c>: the maxima and, as Int64, where each was
    /// (the flat index h·W + w within its input plane; the first maximum wins ties).
    /// </summary>
    [ShapeContract("Pool2d")]
    public static (Tensor Values, Tensor Indices) MaxPool2dWithIndices(Tensor input, int kernelSize, int? stride = null,
        int padding = 0, int dilation = 1, bool ceilMode = false)
    {
        int s = stride ?? kernelSize;
        return MaxPool2dWithIndices(input, (kernelSize, kernelSize), (s, s), (padding, padding), (dilation, dilation), ceilMode);
    }

    /// <summary>PyTorch's <c>max_pool2d(..., return_indices=True)</c> with (height, width) pairs.</summary>
    [ShapeContract("Pool2d")]
    public static (Tensor Values, Tensor Indices) MaxPool2dWithIndices(Tensor input, (int Height, int Width) kernelSize,
        (int Height, int Width)? stride = null, (int Height, int Width) padding = default, (int Height, int Width)? dilation = null,
        bool ceilMode = false)
    {
        var (values, indices) = MaxPool2dCore(input, kernelSize, stride, padding, dilation, ceilMode, publicIndices: true);
        return (values, indices!);
    }

    // The public Int64 indices are made only when asked for. The backward's own argmax is Int32 (a position within
    // a plane, which an int array index always fits) in an array rented from BufferPool and handed back when the
    // node is released, so a training step's max pools allocate no index memory once the pool is warm.
    static (Tensor Values, Tensor? Indices) MaxPool2dCore(Tensor input, (int Height, int Width) kernelSize,
        (int Height, int Width)? stride, (int Height, int Width) padding, (int Height, int Width)? dilation, bool ceilMode, bool publicIndices)
    {
        const string op = "MaxPool2d";
        if (input.DType == DType.Float64)
            return MaxPool2dFloat64(input, Pool2dGeometry.Create(input.Sizes, kernelSize, stride ?? kernelSize, padding, dilation ?? (1, 1), op, ceilMode), publicIndices);
        CheckFloat(op, input);
        var geometry = Pool2dGeometry.Create(input.Sizes, kernelSize, stride ?? kernelSize, padding, dilation ?? (1, 1), op, ceilMode);
        var x = input.Detach().Contiguous();
        var outShape = PooledShape(input.Sizes, geometry);
        var values = Uninitialized(DType.Float32, outShape);
        Tensor? indices = null;
        if (publicIndices)
        {
            indices = Uninitialized(DType.Int64, (int[])outShape.Clone());
            MaxPoolKernel.Forward(geometry, x.FloatData, x.Offset, values.FloatData, 0, indices.LongData, 0);
        }
        if (!MustRecord(input))
        {
            if (!publicIndices)
            {
                // The kernel writes an argmax nobody reads here: scratch, straight back to the pool.
                int[] scratch = BufferPool.RentInts(values.Count);
                MaxPoolKernel.Forward(geometry, x.FloatData, x.Offset, values.FloatData, 0, scratch, 0);
                BufferPool.ReturnInts(scratch);
            }
            return (values, indices);
        }
        int count = values.Count;
        int[] argmax = BufferPool.RentInts(count);
        if (publicIndices)
        {
            var wide = indices!.LongData.AsSpan(0, count);
            for (int i = 0; i < count; i++)
                argmax[i] = (int)wide[i];
        }
        else
        {
            MaxPoolKernel.Forward(geometry, x.FloatData, x.Offset, values.FloatData, 0, argmax, 0);
        }
        var inputSizes = (int[])input.Sizes.Clone();
        values.Recorded("MaxPool2DWithIndicesBackward", new Tensor?[] { input },
            g => new Tensor?[] { PoolingGradient.MaxPool(g, argmax, inputSizes, geometry) });
        values.GradNode!.Released = () => BufferPool.ReturnInts(argmax);
        return (values, indices);
    }

    /// <summary>
    /// PyTorch's <c>avg_pool2d</c>: the mean of each kernelSize × kernelSize window of [N, C, H, W] or
    /// [C, H, W]; stride defaults to the kernel size. With <paramref name="countIncludePad"/> (PyTorch's
    /// default) padded zeros count in the divisor; <paramref name="divisorOverride"/>, when given, is the divisor of
    /// every window; <paramref name="ceilMode"/> rounds the output size up (the last window is clipped to the
    /// padded input, and its divisor with it).
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="divisorOverride"/> is 0 (a negative one divides, as in PyTorch).</exception>
    [ShapeContract("Pool2d")]
    public static Tensor AvgPool2d(Tensor input, int kernelSize, int? stride = null, int padding = 0, bool countIncludePad = true,
        bool ceilMode = false, int? divisorOverride = null)
    {
        int s = stride ?? kernelSize;
        return AvgPool2d(input, (kernelSize, kernelSize), (s, s), (padding, padding), countIncludePad, ceilMode, divisorOverride);
    }

    /// <summary>PyTorch's <c>avg_pool2d</c> with (height, width) pairs; stride defaults to the kernel size.</summary>
    [ShapeContract("Pool2d")]
    public static Tensor AvgPool2d(Tensor input, (int Height, int Width) kernelSize, (int Height, int Width)? stride = null,
        (int Height, int Width) padding = default, bool countIncludePad = true, bool ceilMode = false, int? divisorOverride = null) => OpTrace.Active
        ? OpTrace.Run("AvgPool2d", [input], () => AvgPool2dUntraced(input, kernelSize, stride, padding, countIncludePad, ceilMode, divisorOverride),
            PoolAttributes(kernelSize, stride, padding, ("countIncludePad", countIncludePad), ceilMode, divisorOverride))
        : AvgPool2dUntraced(input, kernelSize, stride, padding, countIncludePad, ceilMode, divisorOverride);

    /// <summary>The traced attributes of a pool; ceil mode and a divisor override only when set, so default pools trace as before.</summary>
    static (string Name, object Value)[] PoolAttributes((int Height, int Width) kernelSize, (int Height, int Width)? stride,
        (int Height, int Width) padding, (string Name, object Value) fourth, bool ceilMode, int? divisorOverride)
    {
        var attributes = new List<(string Name, object Value)>
        {
            ("kernel", Pair(kernelSize)), ("stride", Pair(stride ?? kernelSize)), ("padding", Pair(padding)), fourth,
        };
        if (ceilMode) attributes.Add(("ceilMode", true));
        if (divisorOverride is { } d) attributes.Add(("divisorOverride", d));
        return attributes.ToArray();
    }

    static Tensor AvgPool2dUntraced(Tensor input, (int Height, int Width) kernelSize, (int Height, int Width)? stride,
        (int Height, int Width) padding, bool countIncludePad, bool ceilMode, int? divisorOverride)
    {
        const string op = "AvgPool2d";
        CheckFloat(op, input);
        if (divisorOverride == 0)
            throw new ArgumentException($"{op}: divisor must be not zero, got {divisorOverride} (input {Rules.Format(input.Sizes)})", nameof(divisorOverride));
        var geometry = Pool2dGeometry.Create(input.Sizes, kernelSize, stride ?? kernelSize, padding, (1, 1), op, ceilMode);
        var x = input.Detach().Contiguous();
        var result = Uninitialized(DType.Float32, PooledShape(input.Sizes, geometry));
        AvgPoolKernel.Forward(geometry, x.FloatData, x.Offset, result.FloatData, 0, countIncludePad, divisorOverride);
        if (!MustRecord(input))
            return result;
        var inputSizes = (int[])input.Sizes.Clone();
        return result.Recorded("AvgPool2DBackward", new Tensor?[] { input },
            g => new Tensor?[] { PoolingGradient.AvgPool(g, inputSizes, geometry, countIncludePad, divisorOverride) });
    }

    static int[] PooledShape(int[] inputSizes, in Pool2dGeometry geometry)
    {
        var shape = (int[])inputSizes.Clone();
        shape[^2] = geometry.OutHeight;
        shape[^1] = geometry.OutWidth;
        return shape;
    }

    static void CheckFloat(string op, Tensor a)
    {
        if (a.DType != DType.Float32)
            throw new ArgumentException($"{op}: expected a Float32 input, got {a.DType} {Rules.Format(a.Sizes)}; convert with ToDType(DType.Float32)");
    }
}
