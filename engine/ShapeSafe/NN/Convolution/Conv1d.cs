using System.Text;

namespace ShapeSafe.NN;

/// <summary>
/// A 1-D convolution over [N, C, L] (or [C, L]) inputs (<c>nn.Conv1d</c>), computed by <see cref="F.Conv1d"/>.
/// </summary>
/// <remarks>
/// The weight is [out, in/groups, k] and the bias [out], initialized as PyTorch does, weight first then bias:
/// <c>kaiming_uniform_(a=sqrt(5))</c> and U(-1/sqrt(fan_in), 1/sqrt(fan_in)) with fan_in = in/groups·k, so a
/// seeded generator gives PyTorch's values.
/// </remarks>
[Module]
public partial class Conv1d : Module, ITensorModule
{
    /// <summary>Creates the convolution.</summary>
    /// <exception cref="ArgumentException">The channels are not divisible by <paramref name="groups"/>, or a size is not positive.</exception>
    public Conv1d([Dim("In")] int inChannels, [Dim("Out")] int outChannels, int kernelSize, int stride = 1, int padding = 0,
        int dilation = 1, int groups = 1, bool bias = true, Generator? generator = null)
    {
        if (groups <= 0)
            throw new ArgumentException($"Conv1d: groups must be a positive integer, got {groups}", nameof(groups));
        if (inChannels % groups != 0)
            throw new ArgumentException($"Conv1d: in_channels must be divisible by groups (in_channels={inChannels}, groups={groups})", nameof(inChannels));
        if (outChannels % groups != 0)
            throw new ArgumentException($"Conv1d: out_channels must be divisible by groups (out_channels={outChannels}, groups={groups})", nameof(outChannels));
        if (kernelSize <= 0)
            throw new ArgumentException($"Conv1d: kernel_size must be positive, got {kernelSize}", nameof(kernelSize));
        InChannels = inChannels;
        OutChannels = outChannels;
        KernelSize = kernelSize;
        Stride = stride;
        Padding = padding;
        Dilation = dilation;
        Groups = groups;
        Weight = new Parameter(Tensor.Empty(outChannels, inChannels / groups, kernelSize));
        Bias = bias ? new Parameter(Tensor.Empty(outChannels)) : null;
        ResetParameters(generator);
    }

    /// <summary>Channels of the input.</summary>
    public int InChannels { get; }

    /// <summary>Channels of the output.</summary>
    public int OutChannels { get; }

    /// <summary>The kernel's length.</summary>
    public int KernelSize { get; }

    /// <summary>The step between windows.</summary>
    public int Stride { get; }

    /// <summary>Zeros added at each end.</summary>
    public int Padding { get; }

    /// <summary>The spacing of kernel elements.</summary>
    public int Dilation { get; }

    /// <summary>How many groups the channels split into.</summary>
    public int Groups { get; }

    /// <summary>The weight, [out, in/groups, k].</summary>
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

    /// <summary>Convolves <paramref name="input"/> [N, in, L] (or [in, L]).</summary>
    /// <exception cref="ShapeException">The input's channels are not <see cref="InChannels"/>, or the output would be empty.</exception>
    [ShapeContract("Conv1d")]
    [return: Shape("N, Out, _")]
    public Tensor Forward([Shape("N, In, L")] Tensor input) => F.Conv1d(input, Weight, Bias, Stride, Padding, Dilation, Groups);

    /// <inheritdoc/>
    protected override string ExtraRepr()
    {
        var s = new StringBuilder()
            .Append(InChannels).Append(", ").Append(OutChannels)
            .Append(", kernel_size=").Append(PythonRepr.Tuple(KernelSize))
            .Append(", stride=").Append(PythonRepr.Tuple(Stride));
        if (Padding != 0) s.Append(", padding=").Append(PythonRepr.Tuple(Padding));
        if (Dilation != 1) s.Append(", dilation=").Append(PythonRepr.Tuple(Dilation));
        if (Groups != 1) s.Append(", groups=").Append(Groups);
        if (Bias is null) s.Append(", bias=False");
        return s.ToString();
    }
}
