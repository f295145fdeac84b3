namespace ShapeSafe.NN;

/// <summary>
/// A 1-D convolution over [N, C, L] (or [C, L]) inputs (<c>nn.Conv1d</c>), computed by <see cref="F.Conv1d(Tensor, Tensor, Tensor?, int, int, int, int)"/>.
/// </summary>
/// <remarks>
/// The weight is [out, in/groups, k] and the bias [out], initialized as PyTorch does, weight first then bias:
/// <c>kaiming_uniform_(a=sqrt(5))</c> and U(-1/sqrt(fan_in), 1/sqrt(fan_in)) with fan_in = in/groups·k, so a
/// seeded generator gives PyTorch's values.
/// </remarks>
public class Conv1d : ConvNd, ITensorModule
{
    /// <summary>Creates the convolution.</summary>
    /// <exception cref="ArgumentException">The channels are not divisible by <paramref name="groups"/>, or a size is not positive.</exception>
    public Conv1d([Dim("In")] int inChannels, [Dim("Out")] int outChannels, int kernelSize, int stride = 1, int padding = 0,
        int dilation = 1, int groups = 1, bool bias = true, Generator? generator = null, string paddingMode = "zeros")
        : base(inChannels, outChannels, [kernelSize], groups, transposed: false, bias, generator)
    {
        KernelSize = kernelSize;
        Stride = stride;
        Padding = padding;
        Dilation = dilation;
        _padding = ConvPadding.Symmetric("Conv1d", [padding], paddingMode);
    }

    /// <summary>
    /// Creates a convolution padded by name: <c>"valid"</c> (none) or <c>"same"</c> (the output keeps L; an even
    /// kernel puts its extra element at the end, as PyTorch does; needs stride 1).
    /// </summary>
    /// <exception cref="ArgumentException">Another padding string, "same" with a stride other than 1, or an unknown padding mode.</exception>
    public Conv1d([Dim("In")] int inChannels, [Dim("Out")] int outChannels, int kernelSize, string padding, int stride = 1,
        int dilation = 1, int groups = 1, bool bias = true, Generator? generator = null, string paddingMode = "zeros")
        : base(inChannels, outChannels, [kernelSize], groups, transposed: false, bias, generator)
    {
        KernelSize = kernelSize;
        Stride = stride;
        Dilation = dilation;
        _padding = ConvPadding.Named("Conv1d", padding, [kernelSize], [stride], [dilation], paddingMode, module: true);
        Padding = _padding.Before[0];
        PaddingString = padding;
    }

    readonly ConvPadding _padding;

    /// <summary>The kernel's length.</summary>
    public int KernelSize { get; }

    /// <summary>The step between windows.</summary>
    public int Stride { get; }

    /// <summary>Padding added at each end; for "same" with an even kernel, the amount before (one more comes after).</summary>
    public int Padding { get; }

    /// <summary>"valid" or "same" when the padding was given by name; null for a number.</summary>
    public string? PaddingString { get; }

    /// <summary>What the padding holds: "zeros" (PyTorch's default), "reflect", "replicate" or "circular".</summary>
    public string PaddingMode => _padding.Mode;

    /// <summary>The spacing of kernel elements.</summary>
    public int Dilation { get; }

    /// <summary>Convolves <paramref name="input"/> [N, in, L] (or [in, L]).</summary>
    /// <exception cref="ShapeException">The input's channels are not <see cref="ConvNd.InChannels"/>, or the output would be empty.</exception>
    [ShapeContract("Conv1d")]
    [return: Shape("N, Out, _")]
    public Tensor Forward([Shape("N, In, L")] Tensor input)
    {
        var (x, padding) = _padding.Apply(input);
        return F.Conv1d(x, Weight, Bias, Stride, padding[0], Dilation, Groups);
    }

    /// <inheritdoc/>
    protected override string ExtraRepr() => Repr([KernelSize], [Stride], [Padding], [Dilation], paddingString: PaddingString, paddingMode: PaddingMode);
}
