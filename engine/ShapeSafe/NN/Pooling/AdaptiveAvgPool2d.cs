namespace ShapeSafe.NN;

/// <summary>
/// 2-D adaptive average pooling (<c>nn.AdaptiveAvgPool2d</c>): averages [N, C, H, W] or [C, H, W] over windows
/// chosen so the output's last two dims have a fixed size, whatever the input's. Computed by
/// <see cref="F.AdaptiveAvgPool2d(Tensor, ValueTuple{int?, int?})"/>.
/// </summary>
public class AdaptiveAvgPool2d : Module, ITensorModule
{
    readonly string _repr;

    /// <summary>A square <paramref name="outputSize"/> × <paramref name="outputSize"/> output.</summary>
    public AdaptiveAvgPool2d(int outputSize)
    {
        OutputSize = (outputSize, outputSize);
        _repr = $"output_size={PythonRepr.Int(outputSize)}";
    }

    /// <summary>An output of (height, width); a null entry keeps the input's size (PyTorch's None).</summary>
    public AdaptiveAvgPool2d((int? Height, int? Width) outputSize)
    {
        OutputSize = outputSize;
        _repr = $"output_size=({OptionalInt(outputSize.Height)}, {OptionalInt(outputSize.Width)})";
    }

    /// <summary>The output's (height, width); null keeps the input's.</summary>
    public (int? Height, int? Width) OutputSize { get; }

    /// <summary>Pools <paramref name="input"/> [N, C, H, W] or [C, H, W].</summary>
    [ShapeContract("AdaptivePool2d")]
    public Tensor Forward(Tensor input) => F.AdaptiveAvgPool2d(input, OutputSize);

    /// <inheritdoc/>
    protected override string ExtraRepr() => _repr;

    internal static string OptionalInt(int? value) => value is { } v ? PythonRepr.Int(v) : "None";
}
