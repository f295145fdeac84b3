namespace ShapeSafe.NN;

/// <summary>
/// 2-D adaptive max pooling (<c>nn.AdaptiveMaxPool2d</c>): the maximum of [N, C, H, W] or [C, H, W] over windows
/// chosen so the output's last two dims have a fixed size. Computed by
/// <see cref="F.AdaptiveMaxPool2d(Tensor, ValueTuple{int?, int?})"/>; <see cref="F.AdaptiveMaxPool2dWithIndices"/>
/// also gives the positions.
/// </summary>
public class AdaptiveMaxPool2d : Module, ITensorModule
{
    readonly string _repr;

    /// <summary>A square <paramref name="outputSize"/> × <paramref name="outputSize"/> output.</summary>
    public AdaptiveMaxPool2d(int outputSize)
    {
        OutputSize = (outputSize, outputSize);
        _repr = $"output_size={PythonRepr.Int(outputSize)}";
    }

    /// <summary>An output of (height, width); a null entry keeps the input's size (PyTorch's None).</summary>
    public AdaptiveMaxPool2d((int? Height, int? Width) outputSize)
    {
        OutputSize = outputSize;
        _repr = $"output_size=({AdaptiveAvgPool2d.OptionalInt(outputSize.Height)}, {AdaptiveAvgPool2d.OptionalInt(outputSize.Width)})";
    }

    /// <summary>The output's (height, width); null keeps the input's.</summary>
    public (int? Height, int? Width) OutputSize { get; }

    /// <summary>Pools <paramref name="input"/> [N, C, H, W] or [C, H, W].</summary>
    [ShapeContract("AdaptivePool2d")]
    public Tensor Forward(Tensor input) => F.AdaptiveMaxPool2d(input, OutputSize);

    /// <inheritdoc/>
    protected override string ExtraRepr() => _repr;
}
