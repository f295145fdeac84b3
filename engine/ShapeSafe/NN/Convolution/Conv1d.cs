namespace ShapeSafe.NN;

/// <summary>
/// A 1-D convolution over [N, C, L] (or [C, L]) inputs (<c>nn.Conv1d</c>), computed by <see cref="F.Conv1d"/>.
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
        int dilation = 1, int groups = 1, bool bias = true, Generator? generator = null)
        : base(inChannels, outChannels, [kernelSize], groups, transposed: false, bias, generator)
    {
        KernelSize = kernelSize;
        Stride = stride;
        Padding = padding;
        Dilation = dilation;
    }

    /// <summary>The kernel's length.</summary>
    public int KernelSize { get; }

    /// <summary>The step between windows.</summary>
    public int Stride { get; }

    /// <summary>Zeros added at each end.</summary>
    public int Padding { get; }

    /// <summary>The spacing of kernel elements.</summary>
    public int Dilation { get; }

    /// <summary>Convolves <paramref name="input"/> [N, in, L] (or [in, L]).</summary>
    /// <exception cref="ShapeException">The input's channels are not <see cref="ConvNd.InChannels"/>, or the output would be empty.</exception>
    [ShapeContract("Conv1d")]
    [return: Shape("N, Out, _")]
    public Tensor Forward([Shape("N, In, L")] Tensor input) => F.Conv1d(input, Weight, Bias, Stride, Padding, Dilation, Groups);

    /// <inheritdoc/>
    protected override string ExtraRepr() => Repr([KernelSize], [Stride], [Padding], [Dilation]);
}
