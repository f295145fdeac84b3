namespace ShapeSafe.NN;

/// <summary>
/// How a convolution pads its input: PyTorch's <c>padding</c> (numbers, <c>"valid"</c> or <c>"same"</c>) and
/// <c>padding_mode</c> (<c>"zeros"</c>, <c>"reflect"</c>, <c>"replicate"</c>, <c>"circular"</c>) resolved into the
/// amount before and after each spatial dim. "same" pads dilation·(kernel − 1) in total, the odd element at the end,
/// as ATen's <c>_convolution_mode</c> does for even kernels; it needs stride 1.
/// </summary>
internal sealed record ConvPadding(int[] Before, int[] After, string Mode)
{
    static readonly string[] Modes = { "zeros", "reflect", "replicate", "circular" };

    /// <summary>Numeric padding: the same amount on both sides.</summary>
    public static ConvPadding Symmetric(string op, int[] padding, string mode) => new((int[])padding.Clone(), (int[])padding.Clone(), CheckMode(op, mode));

    /// <summary>"valid" (no padding) or "same" (the output keeps the input's size).</summary>
    /// <exception cref="ArgumentException">Another string, or "same" with a stride other than 1 (PyTorch's messages).</exception>
    public static ConvPadding Named(string op, string padding, int[] kernel, int[] stride, int[] dilation, string mode, bool module)
    {
        ArgumentNullException.ThrowIfNull(padding);
        CheckMode(op, mode);
        if (padding == "valid")
            return new(new int[kernel.Length], new int[kernel.Length], mode);
        if (padding != "same")
            throw new ArgumentException(module
                ? $"{op}: Invalid padding string '{padding}', should be one of {{'valid', 'same'}}"
                : $"{op}: Invalid padding string: '{padding}'", nameof(padding));
        if (stride.Any(s => s != 1))
            throw new ArgumentException($"{op}: padding='same' is not supported for strided convolutions (stride {PythonRepr.Tuple(stride)})", nameof(padding));
        var before = new int[kernel.Length];
        var after = new int[kernel.Length];
        for (int i = 0; i < kernel.Length; i++)
        {
            int total = dilation[i] * (kernel[i] - 1);
            before[i] = total / 2;
            after[i] = total - before[i];
        }
        return new(before, after, mode);
    }

    /// <summary>PyTorch's check of <c>padding_mode</c>.</summary>
    public static string CheckMode(string op, string mode)
    {
        ArgumentNullException.ThrowIfNull(mode);
        if (Array.IndexOf(Modes, mode) < 0)
            throw new ArgumentException($"{op}: padding_mode must be one of {{'zeros', 'reflect', 'replicate', 'circular'}}, but got padding_mode='{mode}'", "paddingMode");
        return mode;
    }

    /// <summary>
    /// The input to convolve and the symmetric zero padding the convolution itself adds: zero padding stays in the
    /// convolution, with any extra element at the end padded first (F.Pad, recorded); the other modes pad the input
    /// with F.Pad in their mode and convolve without padding, as nn.Conv2d's <c>_conv_forward</c> does.
    /// </summary>
    public (Tensor Input, int[] ConvolutionPadding) Apply(Tensor input)
    {
        int dims = Before.Length;
        bool symmetric = Before.AsSpan().SequenceEqual(After);
        if (Mode == "zeros" && symmetric) return (input, Before);
        // F.Pad lists (before, after) pairs from the last dim.
        var pad = new int[2 * dims];
        for (int i = 0; i < dims; i++)
        {
            int at = 2 * (dims - 1 - i);
            pad[at] = Mode == "zeros" ? 0 : Before[i];
            pad[at + 1] = Mode == "zeros" ? After[i] - Before[i] : After[i];
        }
        var padded = F.Pad(input, pad, Mode == "zeros" ? "constant" : Mode);
        return (padded, Mode == "zeros" ? Before : new int[dims]);
    }
}
