using ShapeSafe.Gradients;
using ShapeSafe.Kernels.Pooling;
using ShapeSafe.Tracing;

namespace ShapeSafe.NN;

// Adaptive pooling: the window adapts so the output has a fixed size (the classifier heads of ResNet, VGG, ...).
public static partial class F
{
    /// <summary>
    /// <c>F.adaptive_avg_pool2d</c>: [N, C, H, W] or [C, H, W] averaged over windows chosen so the output's last two
    /// dims are <paramref name="outputSize"/> (null keeps that dim's size); records "AdaptiveAvgPool2DBackward".
    /// </summary>
    /// <exception cref="ShapeException">The input is not 3-D or 4-D, or H or W is 0.</exception>
    [ShapeContract("AdaptivePool2d")]
    public static Tensor AdaptiveAvgPool2d(Tensor input, (int? Height, int? Width) outputSize)
    {
        const string op = "AdaptiveAvgPool2d";
        if (OpTrace.Recording) return OpTrace.Run(op, [input], () => AdaptiveAvgPool2d(input, outputSize));
        var (x, shape, planes) = AdaptiveInput(input, outputSize, op);
        var result = Tensor.Uninitialized(DType.Float32, shape);
        AdaptivePoolKernel.AvgForward(x.FloatData, x.Offset, planes, x.Sizes[^2], x.Sizes[^1], shape[^2], shape[^1], result.FloatData);
        if (!Tensor.MustRecord(input)) return result;
        var sizes = (int[])input.Sizes.Clone();
        return result.Recorded(op + "Backward", new Tensor?[] { input }, g => new Tensor?[] { AdaptivePoolingGradient.Avg(g, sizes) });
    }

    /// <summary><c>F.adaptive_avg_pool2d</c> with a square output.</summary>
    [ShapeContract("AdaptivePool2d")]
    public static Tensor AdaptiveAvgPool2d(Tensor input, int outputSize) => AdaptiveAvgPool2d(input, (outputSize, outputSize));

    /// <summary>
    /// <c>F.adaptive_max_pool2d</c>: the max of each adaptive window and its position in the plane (Int64,
    /// row·W + column, as PyTorch's <c>return_indices=True</c>); records "AdaptiveMaxPool2DBackward".
    /// </summary>
    [ShapeContract("AdaptivePool2d")]
    public static (Tensor Values, Tensor Indices) AdaptiveMaxPool2dWithIndices(Tensor input, (int? Height, int? Width) outputSize)
    {
        const string op = "AdaptiveMaxPool2d";
        var (x, shape, planes) = AdaptiveInput(input, outputSize, op);
        var values = Tensor.Uninitialized(DType.Float32, shape);
        var indices = Tensor.Uninitialized(DType.Int64, (int[])shape.Clone());
        AdaptivePoolKernel.MaxForward(x.FloatData, x.Offset, planes, x.Sizes[^2], x.Sizes[^1], shape[^2], shape[^1], values.FloatData, indices.LongData);
        if (!Tensor.MustRecord(input)) return (values, indices);
        var sizes = (int[])input.Sizes.Clone();
        var saved = indices.LongData;
        values.Recorded(op + "Backward", new Tensor?[] { input }, g => new Tensor?[] { AdaptivePoolingGradient.Max(g, saved, sizes) });
        return (values, indices);
    }

    /// <summary><c>F.adaptive_max_pool2d</c>: the max of each adaptive window.</summary>
    [ShapeContract("AdaptivePool2d")]
    public static Tensor AdaptiveMaxPool2d(Tensor input, (int? Height, int? Width) outputSize) =>
        AdaptiveMaxPool2dWithIndices(input, outputSize).Values;

    /// <summary><c>F.adaptive_max_pool2d</c> with a square output.</summary>
    [ShapeContract("AdaptivePool2d")]
    public static Tensor AdaptiveMaxPool2d(Tensor input, int outputSize) => AdaptiveMaxPool2d(input, (outputSize, outputSize));

    static (Tensor X, int[] Shape, int Planes) AdaptiveInput(Tensor input, (int? Height, int? Width) outputSize, string op)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.DType != DType.Float32)
            throw new ArgumentException($"{op}: expected a Float32 input, got {input.DType} {Rules.Format(input.Sizes)}", nameof(input));
        if (outputSize.Height is <= 0 || outputSize.Width is <= 0)
            throw new ShapeException(op, $"output size ({outputSize.Height}, {outputSize.Width}) must be positive (input {Rules.Format(input.Sizes)})");
        var shape = Rules.AdaptivePool2d(input.Sizes, new[] { outputSize.Height ?? -1, outputSize.Width ?? -1 }, op);
        var x = input.Detach().Contiguous();
        return (x, shape, AdaptivePoolingGradient.Planes(input.Sizes, shape).Planes);
    }
}
