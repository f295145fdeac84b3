namespace ShapeSafe.NN;

/// <summary>
/// 2-D max pooling (<c>nn.MaxPool2d</c>): the maximum of each window of [N, C, H, W] or [C, H, W]; the stride
/// defaults to the kernel size. Computed by <see cref="Tensor.MaxPool2d(Tensor, int, int?, int, int, bool)"/>.
/// </summary>
public class MaxPool2d : Module, ITensorModule
{
    readonly string _repr;

    /// <summary>Square windows of <paramref name="kernelSize"/>, moved by <paramref name="stride"/> (the kernel size when null).</summary>
    public MaxPool2d(int kernelSize, int? stride = null, int padding = 0, int dilation = 1, bool ceilMode = false)
        : this((kernelSize, kernelSize), stride is { } s ? (s, s) : null, (padding, padding), (dilation, dilation), ceilMode)
    {
        int st = stride ?? kernelSize;
        _repr = $"kernel_size={kernelSize}, stride={st}, padding={padding}, dilation={dilation}, ceil_mode={PythonRepr.Bool(ceilMode)}";
    }

    /// <summary>Windows of (height, width) <paramref name="kernelSize"/>; the stride defaults to the kernel size.</summary>
    public MaxPool2d((int Height, int Width) kernelSize, (int Height, int Width)? stride = null, (int Height, int Width) padding = default,
        (int Height, int Width)? dilation = null, bool ceilMode = false)
    {
        KernelSize = kernelSize;
        Stride = stride ?? kernelSize;
        Padding = padding;
        Dilation = dilation ?? (1, 1);
        CeilMode = ceilMode;
        _repr = $"kernel_size={PythonRepr.Tuple(KernelSize.Height, KernelSize.Width)}, stride={PythonRepr.Tuple(Stride.Height, Stride.Width)}, " +
            $"padding={PythonRepr.Tuple(Padding.Height, Padding.Width)}, dilation={PythonRepr.Tuple(Dilation.Height, Dilation.Width)}, ceil_mode={PythonRepr.Bool(ceilMode)}";
    }

    /// <summary>The window's (height, width).</summary>
    public (int Height, int Width) KernelSize { get; }

    /// <summary>The step between windows along (height, width).</summary>
    public (int Height, int Width) Stride { get; }

    /// <summary>Implicit -inf padding on each side (at most half the kernel).</summary>
    public (int Height, int Width) Padding { get; }

    /// <summary>The spacing of window elements.</summary>
    public (int Height, int Width) Dilation { get; }

    /// <summary>Whether the output size rounds up, so a last partial window counts.</summary>
    public bool CeilMode { get; }

    /// <summary>Pools <paramref name="input"/> [N, C, H, W] or [C, H, W] (no shape annotation: both ranks are valid).</summary>
    [ShapeContract("Pool2d")]
    public Tensor Forward(Tensor input) => Tensor.MaxPool2d(input, KernelSize, Stride, Padding, Dilation, CeilMode);

    /// <summary>
    /// PyTorch's <c>return_indices=True</c>: the pooled values and each maximum's Int64 position h·W + w in its input
    /// plane (what <c>MaxUnpool2d</c> takes). C# gives a method one return type, so the flag is this method.
    /// </summary>
    [ShapeContract("Pool2d")]
    public (Tensor Values, Tensor Indices) ForwardWithIndices(Tensor input) =>
        Tensor.MaxPool2dWithIndices(input, KernelSize, Stride, Padding, Dilation, CeilMode);

    /// <inheritdoc/>
    protected override string ExtraRepr() => _repr;
}
