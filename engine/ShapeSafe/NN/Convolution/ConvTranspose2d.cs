namespace ShapeSafe.NN;

/// <summary>
/// A 2-D transposed convolution (<c>nn.ConvTranspose2d</c>) over [N, C, H, W] (or [C, H, W]), computed by
/// <see cref="Tensor.ConvTranspose2d"/>: each input pixel scatters a weighted kernel into the output, which grows to
/// (H − 1)·stride − 2·padding + dilation·(kH − 1) + outputPadding + 1.
/// </summary>
/// <remarks>
/// The weight is [in, out/groups, kH, kW] and the bias [out], initialized as PyTorch does, weight first then bias:
/// <c>kaiming_uniform_(a=sqrt(5))</c> and U(-1/sqrt(fan_in), 1/sqrt(fan_in)), where fan_in is computed from the
/// weight's dim 1 (out/groups·kH·kW) exactly as PyTorch computes it.
/// </remarks>
public class ConvTranspose2d : ConvNd, ITensorModule
{
    /// <summary>Creates the layer with a square kernel and the same stride, padding, output padding and dilation along both dims.</summary>
    public ConvTranspose2d([Dim("In")] int inChannels, [Dim("Out")] int outChannels, int kernelSize, int stride = 1, int padding = 0,
        int outputPadding = 0, int groups = 1, bool bias = true, int dilation = 1, Generator? generator = null)
        : this(inChannels, outChannels, (kernelSize, kernelSize), (stride, stride), (padding, padding), (outputPadding, outputPadding), groups, bias,
            (dilation, dilation), generator)
    {
    }

    /// <summary>Creates the layer with (height, width) pairs.</summary>
    /// <exception cref="ArgumentException">The channels are not divisible by <paramref name="groups"/>, or a size is not positive.</exception>
    public ConvTranspose2d([Dim("In")] int inChannels, [Dim("Out")] int outChannels, (int Height, int Width) kernelSize,
        (int Height, int Width)? stride = null, (int Height, int Width) padding = default, (int Height, int Width) outputPadding = default,
        int groups = 1, bool bias = true, (int Height, int Width)? dilation = null, Generator? generator = null)
        : base(inChannels, outChannels, [kernelSize.Height, kernelSize.Width], groups, transposed: true, bias, generator)
    {
        KernelSize = kernelSize;
        Stride = stride ?? (1, 1);
        Padding = padding;
        OutputPadding = outputPadding;
        Dilation = dilation ?? (1, 1);
    }

    /// <summary>The kernel's (height, width).</summary>
    public (int Height, int Width) KernelSize { get; }

    /// <summary>The stride along (height, width).</summary>
    public (int Height, int Width) Stride { get; }

    /// <summary>The padding of the convolution this layer transposes (it trims the output).</summary>
    public (int Height, int Width) Padding { get; }

    /// <summary>Extra size added to one side of the output, to pick among the sizes a strided convolution maps alike.</summary>
    public (int Height, int Width) OutputPadding { get; }

    /// <summary>The spacing of kernel elements along (height, width).</summary>
    public (int Height, int Width) Dilation { get; }

    /// <summary>Applies the layer to <paramref name="input"/> [N, in, H, W] (or [in, H, W]).</summary>
    /// <exception cref="ShapeException">The input's channels are not <see cref="ConvNd.InChannels"/>.</exception>
    [ShapeContract("ConvTranspose2d")]
    [return: Shape("N, Out, _, _")]
    public Tensor Forward([Shape("N, In, H, W")] Tensor input) =>
        Tensor.ConvTranspose2d(input, Weight, Bias, Stride, Padding, OutputPadding, Groups, Dilation);

    /// <inheritdoc/>
    protected override string ExtraRepr() =>
        Repr([KernelSize.Height, KernelSize.Width], [Stride.Height, Stride.Width], [Padding.Height, Padding.Width], [Dilation.Height, Dilation.Width],
            [OutputPadding.Height, OutputPadding.Width]);
}
