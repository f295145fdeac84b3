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
        int dilation = 1, int groups = 1, bool bias = true, Generator? generator = null, string paddingMode = "zeros")
        : this(inChannels, outChannels, (kernelSize, kernelSize), (stride, stride), (padding, padding), (dilation, dilation), groups, bias, generator, paddingMode)
    {
    }

    /// <summary>
    /// Creates a convolution padded by name: <c>"valid"</c> (none) or <c>"same"</c> (the output keeps H and W; an
    /// even kernel puts its extra row and column at the end, as PyTorch does; needs stride 1).
    /// </summary>
    /// <exception cref="ArgumentException">Another padding string, "same" with a stride other than 1, or an unknown padding mode.</exception>
    public Conv2d([Dim("In")] int inChannels, [Dim("Out")] int outChannels, int kernelSize, string padding, int stride = 1,
        int dilation = 1, int groups = 1, bool bias = true, Generator? generator = null, string paddingMode = "zeros")
        : this(inChannels, outChannels, (kernelSize, kernelSize), padding, (stride, stride), (dilation, dilation), groups, bias, generator, paddingMode)
    {
    }

    /// <summary>A convolution padded by name (<c>"valid"</c> or <c>"same"</c>) with (height, width) pairs.</summary>
    /// <exception cref="ArgumentException">Another padding string, "same" with a stride other than 1, or an unknown padding mode.</exception>
    public Conv2d([Dim("In")] int inChannels, [Dim("Out")] int outChannels, (int Height, int Width) kernelSize, string padding,
        (int Height, int Width)? stride = null, (int Height, int Width)? dilation = null, int groups = 1, bool bias = true,
        Generator? generator = null, string paddingMode = "zeros")
        : base(inChannels, outChannels, [kernelSize.Height, kernelSize.Width], groups, transposed: false, bias, generator)
    {
        KernelSize = kernelSize;
        Stride = stride ?? (1, 1);
        Dilation = dilation ?? (1, 1);
        _padding = ConvPadding.Named("Conv2d", padding, [kernelSize.Height, kernelSize.Width], [Stride.Height, Stride.Width],
            [Dilation.Height, Dilation.Width], paddingMode, module: true);
        Padding = (_padding.Before[0], _padding.Before[1]);
        PaddingString = padding;
    }

    /// <summary>Creates a convolution with (height, width) pairs; stride defaults to (1, 1), padding to (0, 0), dilation to (1, 1).</summary>
    /// <exception cref="ArgumentException">The channels are not divisible by <paramref name="groups"/>, or a size is not positive.</exception>
    public Conv2d([Dim("In")] int inChannels, [Dim("Out")] int outChannels, (int Height, int Width) kernelSize,
        (int Height, int Width)? stride = null, (int Height, int Width) padding = default, (int Height, int Width)? dilation = null,
        int groups = 1, bool bias = true, Generator? generator = null, string paddingMode = "zeros")
        : base(inChannels, outChannels, [kernelSize.Height, kernelSize.Width], groups, transposed: false, bias, generator)
    {
        KernelSize = kernelSize;
        Stride = stride ?? (1, 1);
        Padding = padding;
        Dilation = dilation ?? (1, 1);
        _padding = ConvPadding.Symmetric("Conv2d", [padding.Height, padding.Width], paddingMode);
    }

    readonly ConvPadding _padding;

    /// <summary>The kernel's (height, width).</summary>
    public (int Height, int Width) KernelSize { get; }

    /// <summary>The stride along (height, width).</summary>
    public (int Height, int Width) Stride { get; }

    /// <summary>Padding added on each side of (height, width); for "same" with an even kernel, the amount before (one more comes after).</summary>
    public (int Height, int Width) Padding { get; }

    /// <summary>"valid" or "same" when the padding was given by name; null for numbers.</summary>
    public string? PaddingString { get; }

    /// <summary>What the padding holds: "zeros" (PyTorch's default), "reflect", "replicate" or "circular".</summary>
    public string PaddingMode => _padding.Mode;

    /// <summary>Whether the padding is zeros, the same on both sides (what the compiled graphs' convolution takes).</summary>
    internal bool HasSymmetricZeroPadding => _padding.Mode == "zeros" && _padding.Before.AsSpan().SequenceEqual(_padding.After);

    /// <summary>The spacing of kernel elements along (height, width).</summary>
    public (int Height, int Width) Dilation { get; }

    /// <summary>Convolves <paramref name="input"/> [N, in, H, W] (or [in, H, W]).</summary>
    /// <exception cref="ShapeException">The input's channels are not <see cref="ConvNd.InChannels"/>, or the output would be empty.</exception>
    [ShapeContract("Conv2d")]
    [return: Shape("N, Out, _, _")]
    public Tensor Forward([Shape("N, In, H, W")] Tensor input)
    {
        var (x, padding) = _padding.Apply(input);
        return Tensor.Conv2d(x, Weight, Bias, Stride, (padding[0], padding[1]), Dilation, Groups);
    }

    /// <inheritdoc/>
    protected override string ExtraRepr() =>
        Repr([KernelSize.Height, KernelSize.Width], [Stride.Height, Stride.Width], [Padding.Height, Padding.Width], [Dilation.Height, Dilation.Width],
            paddingString: PaddingString, paddingMode: PaddingMode);
}
