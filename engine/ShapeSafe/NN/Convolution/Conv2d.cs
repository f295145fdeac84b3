namespace ShapeSafe.NN;

/// <summary>
/// A 2-D convolution over [N, C, H, W] (or [C, H, W]) inputs (<c>nn.Conv2d</c>), computed by
/// <see cref="Tensor.Conv2d(Tensor, Tensor, Tensor?, int, int, int, int)"/>.
/// </summary>
/// <remarks>
/// The weight is [out, in/groups, kH, kW] and the bias [out], initialized as PyTorch does, weight first then
/// bias: <c>kaiming_uniform_(a=sqrt(5))</c> and U(-1/sqrt(fan_in), 1/sqrt(fan_in)) with
/// fan_in = in/groups·kH·kW.
/// </remarks>
public class Conv2d : ConvNd, ITensorModule
{
    /// <summary>Creates a convolution with a square kernel and the same stride, padding and dilation along both dims.</summary>
    public Conv2d([Dim("In")] int inChannels, [Dim("Out")] int outChannels, int kernelSize, int stride = 1, int padding = 0,
        int dilation = 1, int groups = 1, bool bias = true, Generator? generator = null)
        : this(inChannels, outChannels, (kernelSize, kernelSize), (stride, stride), (padding, padding), (dilation, dilation), groups, bias, generator)
    {
    }

    /// <summary>Creates a convolution with (height, width) pairs; stride defaults to (1, 1), padding to (0, 0), dilation to (1, 1).</summary>
    /// <exception cref="ArgumentException">The channels are not divisible by <paramref name="groups"/>, or a size is not positive.</exception>
    public Conv2d([Dim("In")] int inChannels, [Dim("Out")] int outChannels, (int Height, int Width) kernelSize,
        (int Height, int Width)? stride = null, (int Height, int Width) padding = default, (int Height, int Width)? dilation = null,
        int groups = 1, bool bias = true, Generator? generator = null)
        : base(inChannels, outChannels, [kernelSize.Height, kernelSize.Width], groups, transposed: false, bias, generator)
    {
        KernelSize = kernelSize;
        Stride = stride ?? (1, 1);
        Padding = padding;
        Dilation = dilation ?? (1, 1);
    }

    /// <summary>The kernel's (height, width).</summary>
    public (int Height, int Width) KernelSize { get; }

    /// <summary>The stride along (height, width).</summary>
    public (int Height, int Width) Stride { get; }

    /// <summary>Zeros added on each side of (height, width).</summary>
    public (int Height, int Width) Padding { get; }

    /// <summary>The spacing of kernel elements along (height, width).</summary>
    public (int Height, int Width) Dilation { get; }

    /// <summary>Convolves <paramref name="input"/> [N, in, H, W] (or [in, H, W]).</summary>
    /// <exception cref="ShapeException">The input's channels are not <see cref="ConvNd.InChannels"/>, or the output would be empty.</exception>
    [ShapeContract("Conv2d")]
    [return: Shape("N, Out, _, _")]
    public Tensor Forward([Shape("N, In, H, W")] Tensor input) =>
        Tensor.Conv2d(input, Weight, Bias, Stride, Padding, Dilation, Groups);

    /// <inheritdoc/>
    protected override string ExtraRepr() =>
        Repr([KernelSize.Height, KernelSize.Width], [Stride.Height, Stride.Width], [Padding.Height, Padding.Width], [Dilation.Height, Dilation.Width]);
}
