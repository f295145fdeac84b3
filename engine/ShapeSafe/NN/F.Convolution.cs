using ShapeSafe.Tracing;

namespace ShapeSafe.NN;

// Convolutions built on the 2-D kernels.
public static partial class F
{
    /// <summary>
    /// <c>F.conv1d</c>: input [N, C, L] (or [C, L]), weight [O, C/groups, K], bias [O]. Runs as a 2-D convolution
    /// over a height of 1 (views of the input and weight, so no copy and one set of kernels and gradients).
    /// </summary>
    /// <exception cref="ShapeException">The shapes do not fit (see the Conv1d rule), or the output would be empty.</exception>
    [ShapeContract("Conv1d")]
    public static Tensor Conv1d([Shape("N, In, L")] Tensor input, Tensor weight, Tensor? bias = null, int stride = 1, int padding = 0, int dilation = 1, int groups = 1)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(weight);
        if (OpTrace.Recording)
            return OpTrace.Run("Conv1d", [input, weight, bias], () => Conv1d(input, weight, bias, stride, padding, dilation, groups),
                ("stride", stride), ("padding", padding), ("dilation", dilation), ("groups", groups));
        Rules.Conv1d(input.Sizes, weight.Sizes, stride, padding, dilation, groups);
        var output = Tensor.Conv2d(input.Unsqueeze(-2), weight.Unsqueeze(-2), bias, (1, stride), (0, padding), (1, dilation), groups);
        return output.Squeeze(-2);
    }

    /// <summary>
    /// <c>F.conv1d(..., padding="same" | "valid")</c>: "valid" pads nothing; "same" keeps L, padding
    /// dilation·(K − 1) in total with the odd element at the end (ATen's <c>_convolution_mode</c>); it needs stride 1.
    /// </summary>
    /// <exception cref="ArgumentException">Another padding string, or "same" with a stride other than 1.</exception>
    /// <exception cref="ShapeException">The shapes do not fit (see the Conv1d rule).</exception>
    [ShapeContract("Conv1d")]
    public static Tensor Conv1d([Shape("N, In, L")] Tensor input, Tensor weight, Tensor? bias, string padding, int stride = 1, int dilation = 1, int groups = 1)
    {
        ArgumentNullException.ThrowIfNull(weight);
        if (weight.Rank != 3)
            throw new ShapeException("Conv1d", $"expected a 3-D weight [out, in/groups, k], got {Rules.Format(weight.Sizes)}");
        var (x, pad) = ConvPadding.Named("Conv1d", padding, [weight.Sizes[2]], [stride], [dilation], "zeros", module: false).Apply(input);
        return Conv1d(x, weight, bias, stride, pad[0], dilation, groups);
    }

    /// <summary>
    /// <c>F.conv2d(..., padding="same" | "valid")</c>: "valid" pads nothing; "same" keeps H and W, padding
    /// dilation·(k − 1) per dim in total with the odd row and column at the end (ATen's <c>_convolution_mode</c>); it
    /// needs stride 1.
    /// </summary>
    /// <exception cref="ArgumentException">Another padding string, or "same" with a stride other than 1.</exception>
    /// <exception cref="ShapeException">The shapes do not fit (see the Conv2d rule).</exception>
    [ShapeContract("Conv2d")]
    public static Tensor Conv2d([Shape("N, In, H, W")] Tensor input, Tensor weight, Tensor? bias, string padding, int stride = 1, int dilation = 1, int groups = 1)
    {
        ArgumentNullException.ThrowIfNull(weight);
        if (weight.Rank != 4)
            throw new ShapeException("Conv2d", $"expected a 4-D weight [out, in/groups, kH, kW], got {Rules.Format(weight.Sizes)}");
        var (x, pad) = ConvPadding.Named("Conv2d", padding, [weight.Sizes[2], weight.Sizes[3]], [stride, stride], [dilation, dilation], "zeros", module: false)
            .Apply(input);
        return Tensor.Conv2d(x, weight, bias, (stride, stride), (pad[0], pad[1]), (dilation, dilation), groups);
    }

    /// <summary>
    /// <c>F.conv_transpose2d</c>: input [N, C, H, W] (or [C, H, W]), weight [C, O/groups, kH, kW], bias [O]; the
    /// gradient of a convolution with respect to its input, used to upsample (decoders, U-Net, GAN generators).
    /// </summary>
    [ShapeContract("ConvTranspose2d")]
    public static Tensor ConvTranspose2d(Tensor input, Tensor weight, Tensor? bias = null, int stride = 1, int padding = 0,
        int outputPadding = 0, int groups = 1, int dilation = 1) =>
        Tensor.ConvTranspose2d(input, weight, bias, (stride, stride), (padding, padding), (outputPadding, outputPadding), groups, (dilation, dilation));
}
