using System.Text;

namespace ShapeSafe.NN;

/// <summary>
/// What <see cref="Conv1d"/>, <see cref="Conv2d"/> and <see cref="ConvTranspose2d"/> share (PyTorch's
/// <c>_ConvNd</c>): the channel and group checks, the weight and bias with their initialization, and the printed
/// form. Each subclass keeps its own sizes (an int per dim or a (height, width) pair) and its <c>Forward</c>.
/// </summary>
/// <remarks>
/// The weight is [out, in/groups, kernel...] for a convolution and [in, out/groups, kernel...] for a transposed
/// one; the bias is [out]. Both are initialized as PyTorch does, weight first then bias:
/// <c>kaiming_uniform_(a=sqrt(5))</c> and U(-1/sqrt(fan_in), 1/sqrt(fan_in)), with fan_in computed from the weight's
/// dim 1 and kernel as PyTorch computes it, so a seeded generator gives PyTorch's values.
/// </remarks>
[Module]
public abstract partial class ConvNd : Module
{
    /// <summary>Checks the configuration, then creates and initializes the weight and bias.</summary>
    /// <exception cref="ArgumentException">The channels are not divisible by <paramref name="groups"/>, or a kernel size is not positive.</exception>
    private protected ConvNd(int inChannels, int outChannels, int[] kernelSize, int groups, bool transposed, bool bias, Generator? generator)
    {
        var name = GetName();
        if (groups <= 0)
            throw new ArgumentException($"{name}: groups must be a positive integer, got {groups}", nameof(groups));
        if (inChannels % groups != 0)
            throw new ArgumentException($"{name}: in_channels must be divisible by groups (in_channels={inChannels}, groups={groups})", nameof(inChannels));
        if (outChannels % groups != 0)
            throw new ArgumentException($"{name}: out_channels must be divisible by groups (out_channels={outChannels}, groups={groups})", nameof(outChannels));
        if (kernelSize.Any(k => k <= 0))
            throw new ArgumentException($"{name}: kernel_size must be positive, got {(kernelSize.Length == 1 ? kernelSize[0].ToString(System.Globalization.CultureInfo.InvariantCulture) : "(" + string.Join(", ", kernelSize) + ")")}", nameof(kernelSize));
        InChannels = inChannels;
        OutChannels = outChannels;
        Groups = groups;
        int[] channels = transposed ? [inChannels, outChannels / groups] : [outChannels, inChannels / groups];
        Weight = new Parameter(Tensor.Empty([.. channels, .. kernelSize]));
        Bias = bias ? new Parameter(Tensor.Empty(outChannels)) : null;
        ResetParameters(generator);
    }

    /// <summary>Channels of the input.</summary>
    public int InChannels { get; }

    /// <summary>Channels of the output.</summary>
    public int OutChannels { get; }

    /// <summary>How many groups the channels split into.</summary>
    public int Groups { get; }

    /// <summary>The weight: [out, in/groups, kernel...], or [in, out/groups, kernel...] for a transposed convolution.</summary>
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

    /// <summary>
    /// PyTorch's <c>extra_repr</c> of a convolution: channels, kernel and stride always; padding (by number or name),
    /// dilation, output padding (transposed only), groups, bias and padding mode only when not at their defaults.
    /// </summary>
    private protected string Repr(int[] kernelSize, int[] stride, int[] padding, int[] dilation, int[]? outputPadding = null,
        string? paddingString = null, string paddingMode = "zeros")
    {
        var s = new StringBuilder()
            .Append(InChannels).Append(", ").Append(OutChannels)
            .Append(", kernel_size=").Append(PythonRepr.Tuple(kernelSize))
            .Append(", stride=").Append(PythonRepr.Tuple(stride));
        if (paddingString is not null) s.Append(", padding=").Append(paddingString);
        else if (padding.Any(p => p != 0)) s.Append(", padding=").Append(PythonRepr.Tuple(padding));
        if (dilation.Any(d => d != 1)) s.Append(", dilation=").Append(PythonRepr.Tuple(dilation));
        if (outputPadding is not null && outputPadding.Any(p => p != 0)) s.Append(", output_padding=").Append(PythonRepr.Tuple(outputPadding));
        if (Groups != 1) s.Append(", groups=").Append(Groups);
        if (Bias is null) s.Append(", bias=False");
        if (paddingMode != "zeros") s.Append(", padding_mode=").Append(paddingMode);
        return s.ToString();
    }
}
