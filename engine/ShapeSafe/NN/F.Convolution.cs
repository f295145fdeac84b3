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
    /// <c>F.conv_transpose2d</c>: input [N, C, H, W] (or [C, H, W]), weight [C, O/groups, kH, kW], bias [O]; the
    /// gradient of a convolution with respect to its input, used to upsample (decoders, U-Net, GAN generators).
    /// </summary>
    [ShapeContract("ConvTranspose2d")]
    public static Tensor ConvTranspose2d(Tensor input, Tensor weight, Tensor? bias = null, int stride = 1, int padding = 0,
        int outputPadding = 0, int groups = 1, int dilation = 1) =>
        Tensor.ConvTranspose2d(input, weight, bias, (stride, stride), (padding, padding), (outputPadding, outputPadding), groups, (dilation, dilation));
}
