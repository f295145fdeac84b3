using System.Text;

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
[Module]
public partial class Conv2d : Module, ITensorModule
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
    {
        if (groups <= 0)
            throw new ArgumentException($"Conv2d: groups must be a positive integer, got {groups}", nameof(groups));
        if (inChannels % groups != 0)
            throw new ArgumentException($"Conv2d: in_channels must be divisible by groups (in_channels={inChannels}, groups={groups})", nameof(inChannels));
        if (outChannels % groups != 0)
            throw new ArgumentException($"Conv2d: out_channels must be divisible by groups (out_channels={outChannels}, groups={groups})", nameof(outChannels));
        if (kernelSize.Height <= 0 || kernelSize.Width <= 0)
            throw new ArgumentException($"Conv2d: kernel_size must be positive, got ({kernelSize.Height}, {kernelSize.Width})", nameof(kernelSize));
        InChannels = inChannels;
        OutChannels = outChannels;
        KernelSize = kernelSize;
        Stride = stride ?? (1, 1);
        Padding = padding;
        Dilation = dilation ?? (1, 1);
        Groups = groups;
        Weight = new Parameter(Tensor.Empty(outChannels, inChannels / groups, kernelSize.Height, kernelSize.Width));
        Bias = bias ? new Parameter(Tensor.Empty(outChannels)) : null;
        ResetParameters(generator);
    }

    /// <summary>Channels of the input.</summary>
    public int InChannels { get; }

    /// <summary>Channels of the output.</summary>
    public int OutChannels { get; }

    /// <summary>The kernel's (height, width).</summary>
    public (int Height, int Width) KernelSize { get; }

    /// <summary>The stride along (height, width).</summary>
    public (int Height, int Width) Stride { get; }

    /// <summary>Zeros added on each side of (height, width).</summary>
    public (int Height, int Width) Padding { get; }

    /// <summary>The spacing of kernel elements along (height, width).</summary>
    public (int Height, int Width) Dilation { get; }

    /// <summary>How many groups the channels split into.</summary>
    public int Groups { get; }

    /// <summary>The weight, [out, in/groups, kH, kW].</summary>
    [StateName("weight")]
    public Parameter Weight { get; }

    /// <summary>The bias, [out], or null.</summary>
    [StateName("bias")]
    public Parameter? Bias { get; }

    /// <summary>Draws the weight and then the bias again, as at construction (<c>reset_parameters()</c>).</summary>
    public void ResetParameters(Generator? generator = null)
    {
        Init.DefaultWeightAndBias(Weight, Bias, generator, skipBiasWhenFanInIsZero: true);
    }

    /// <summary>Convolves <paramref name="input"/> [N, in, H, W] (or [in, H, W]).</summary>
    /// <exception cref="ShapeException">The input's channels are not <see cref="InChannels"/>, or the output would be empty.</exception>
    [ShapeContract("Conv2d")]
    [return: Shape("N, Out, _, _")]
    public Tensor Forward([Shape("N, In, H, W")] Tensor input) =>
        Tensor.Conv2d(input, Weight, Bias, Stride, Padding, Dilation, Groups);

    /// <inheritdoc/>
    protected override string ExtraRepr()
    {
        var s = new StringBuilder()
            .Append(InChannels).Append(", ").Append(OutChannels)
            .Append(", kernel_size=").Append(PythonRepr.Tuple(KernelSize.Height, KernelSize.Width))
            .Append(", stride=").Append(PythonRepr.Tuple(Stride.Height, Stride.Width));
        if (Padding != (0, 0)) s.Append(", padding=").Append(PythonRepr.Tuple(Padding.Height, Padding.Width));
        if (Dilation != (1, 1)) s.Append(", dilation=").Append(PythonRepr.Tuple(Dilation.Height, Dilation.Width));
        if (Groups != 1) s.Append(", groups=").Append(Groups);
        if (Bias is null) s.Append(", bias=False");
        return s.ToString();
    }
}
