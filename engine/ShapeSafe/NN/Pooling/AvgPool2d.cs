namespace ShapeSafe.NN;

/// <summary>
/// 2-D average pooling (<c>nn.AvgPool2d</c>): the mean of each window of [N, C, H, W] or [C, H, W]; the stride
/// defaults to the kernel size. Computed by <see cref="Tensor.AvgPool2d(Tensor, int, int?, int, bool, bool, int?)"/>.
/// </summary>
public class AvgPool2d : Module, ITensorModule
{
    readonly string _repr;

    /// <summary>Square windows of <paramref name="kernelSize"/>, moved by <paramref name="stride"/> (the kernel size when null).</summary>
    public AvgPool2d(int kernelSize, int? stride = null, int padding = 0, bool countIncludePad = true, bool ceilMode = false,
        int? divisorOverride = null)
        : this((kernelSize, kernelSize), stride is { } s ? (s, s) : null, (padding, padding), countIncludePad, ceilMode, divisorOverride)
    {
        _repr = $"kernel_size={kernelSize}, stride={stride ?? kernelSize}, padding={padding}";
    }

    /// <summary>Windows of (height, width) <paramref name="kernelSize"/>; the stride defaults to the kernel size.</summary>
    public AvgPool2d((int Height, int Width) kernelSize, (int Height, int Width)? stride = null, (int Height, int Width) padding = default,
        bool countIncludePad = true, bool ceilMode = false, int? divisorOverride = null)
    {
        if (divisorOverride == 0)
            throw new ArgumentException("AvgPool2d: divisor must be not zero", nameof(divisorOverride));
        KernelSize = kernelSize;
        Stride = stride ?? kernelSize;
        Padding = padding;
        CountIncludePad = countIncludePad;
        CeilMode = ceilMode;
        DivisorOverride = divisorOverride;
        _repr = $"kernel_size={PythonRepr.Tuple(KernelSize.Height, KernelSize.Width)}, stride={PythonRepr.Tuple(Stride.Height, Stride.Width)}, " +
            $"padding={PythonRepr.Tuple(Padding.Height, Padding.Width)}";
    }

    /// <summary>The window's (height, width).</summary>
    public (int Height, int Width) KernelSize { get; }

    /// <summary>The step between windows along (height, width).</summary>
    public (int Height, int Width) Stride { get; }

    /// <summary>Implicit zero padding on each side.</summary>
    public (int Height, int Width) Padding { get; }

    /// <summary>Whether padded zeros count in each window's divisor (PyTorch's default: true).</summary>
    public bool CountIncludePad { get; }

    /// <summary>Whether the output size rounds up, so a last partial window counts.</summary>
    public bool CeilMode { get; }

    /// <summary>The divisor of every window when set, in place of its element count.</summary>
    public int? DivisorOverride { get; }

    /// <summary>Pools <paramref name="input"/> [N, C, H, W] or [C, H, W] (no shape annotation: both ranks are valid).</summary>
    [ShapeContract("Pool2d")]
    public Tensor Forward(Tensor input) => Tensor.AvgPool2d(input, KernelSize, Stride, Padding, CountIncludePad, CeilMode, DivisorOverride);

    /// <inheritdoc/>
    protected override string ExtraRepr() => _repr;
}
