using System.Text;

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
[Module]
public partial class ConvTranspose2d : Module, ITensorModule
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
    {
        if (groups <= 0)
            throw new ArgumentException($"ConvTranspose2d: groups must be a positive integer, got {groups}", nameof(groups));
        if (inChannels % groups != 0)
            throw new ArgumentException($"ConvTranspose2d: in_channels must be divisible by groups (in_channels={inChannels}, groups={groups})", nameof(inChannels));
        if (outChannels % groups != 0)
            throw new ArgumentException($"ConvTranspose2d: out_channels must be divisible by groups (out_channels={outChannels}, groups={groups})", nameof(outChannels));
        if (kernelSize.Height <= 0 || kernelSize.Width <= 0)
            throw new ArgumentException($"ConvTranspose2d: kernel_size must be positive, got ({kernelSize.Height}, {kernelSize.Width})", nameof(kernelSize));
        InChannels = inChannels;
        OutChannels = outChannels;
        KernelSize = kernelSize;
        Stride = stride ?? (1, 1);
        Padding = padding;
        OutputPadding = outputPadding;
        Dilation = dilation ?? (1, 1);
        Groups = groups;
        Weight = new Parameter(Tensor.Empty(inChannels, outChannels / groups, kernelSize.Height, kernelSize.Width));
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

    /// <summary>The padding of the convolution this layer transposes (it trims the output).</summary>
    public (int Height, int Width) Padding { get; }

    /// <summary>Extra size added to one side of the output, to pick among the sizes a strided convolution maps alike.</summary>
    public (int Height, int Width) OutputPadding { get; }

    /// <summary>The spacing of kernel elements along (height, width).</summary>
    public (int Height, int Width) Dilation { get; }

    /// <summary>How many groups the channels split into.</summary>
    public int Groups { get; }

    /// <summary>The weight, [in, out/groups, kH, kW].</summary>
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

    /// <summary>Applies the layer to <paramref name="input"/> [N, in, H, W] (or [in, H, W]).</summary>
    /// <exception cref="ShapeException">The input's channels are not <see cref="InChannels"/>.</exception>
    [ShapeContract("ConvTranspose2d")]
    [return: Shape("N, Out, _, _")]
    public Tensor Forward([Shape("N, In, H, W")] Tensor input) =>
        Tensor.ConvTranspose2d(input, Weight, Bias, Stride, Padding, OutputPadding, Groups, Dilation);

    /// <inheritdoc/>
    protected override string ExtraRepr()
    {
        var s = new StringBuilder()
            .Append(InChannels).Append(", ").Append(OutChannels)
            .Append(", kernel_size=").Append(PythonRepr.Tuple(KernelSize.Height, KernelSize.Width))
            .Append(", stride=").Append(PythonRepr.Tuple(Stride.Height, Stride.Width));
        if (Padding != (0, 0)) s.Append(", padding=").Append(PythonRepr.Tuple(Padding.Height, Padding.Width));
        if (Dilation != (1, 1)) s.Append(", dilation=").Append(PythonRepr.Tuple(Dilation.Height, Dilation.Width));
        if (OutputPadding != (0, 0)) s.Append(", output_padding=").Append(PythonRepr.Tuple(OutputPadding.Height, OutputPadding.Width));
        if (Groups != 1) s.Append(", groups=").Append(Groups);
        if (Bias is null) s.Append(", bias=False");
        return s.ToString();
    }
}
