namespace ShapeSafe.NN;

/// <summary>
/// Upsamples [N, C, H, W] to a size or by a scale factor (<c>nn.Upsample</c>), nearest (the default) or bilinear.
/// The computation is <see cref="F.Interpolate(Tensor, ValueTuple{int, int}?, ValueTuple{double, double}?, string, bool?)"/>.
/// </summary>
public class Upsample : Module, ITensorModule
{
    readonly string _repr;

    /// <summary>Scales H and W by <paramref name="scaleFactor"/>.</summary>
    /// <exception cref="ArgumentException">An unknown mode, or alignCorners with nearest.</exception>
    public Upsample(double scaleFactor, string mode = "nearest", bool? alignCorners = null)
        : this(null, (scaleFactor, scaleFactor), mode, alignCorners)
    {
        _repr = $"scale_factor={PythonRepr.Float(scaleFactor)}, mode='{mode}'";
    }

    /// <summary>Resizes H and W to <paramref name="size"/>, or scales them by <paramref name="scaleFactor"/> (exactly one of the two).</summary>
    /// <exception cref="ArgumentException">Neither or both are given, an unknown mode, or alignCorners with nearest.</exception>
    public Upsample((int Height, int Width)? size = null, (double Height, double Width)? scaleFactor = null, string mode = "nearest", bool? alignCorners = null)
    {
        if ((size is null) == (scaleFactor is null))
            throw new ArgumentException("Upsample: either size or scale_factor should be defined, not both and not neither");
        if (mode is not ("nearest" or "bilinear"))
            throw new ArgumentException($"Upsample: mode '{mode}' is not supported; use 'nearest' or 'bilinear'", nameof(mode));
        if (mode == "nearest" && alignCorners is not null)
            throw new ArgumentException("Upsample: align_corners option can only be set with the interpolating modes: linear | bilinear | bicubic | trilinear", nameof(alignCorners));
        Size = size;
        ScaleFactor = scaleFactor;
        Mode = mode;
        AlignCorners = alignCorners;
        _repr = scaleFactor is { } f
            ? $"scale_factor=({PythonRepr.Float(f.Height)}, {PythonRepr.Float(f.Width)}), mode='{mode}'"
            : $"size=({size!.Value.Height}, {size.Value.Width}), mode='{mode}'";
    }

    /// <summary>The output's (height, width), or null when scaling.</summary>
    public (int Height, int Width)? Size { get; }

    /// <summary>The (height, width) scale factors, or null when resizing to <see cref="Size"/>.</summary>
    public (double Height, double Width)? ScaleFactor { get; }

    /// <summary><c>"nearest"</c> or <c>"bilinear"</c>.</summary>
    public string Mode { get; }

    /// <summary>Bilinear only: whether corner pixels align (null: false).</summary>
    public bool? AlignCorners { get; }

    /// <summary>Resamples <paramref name="input"/> [N, C, H, W].</summary>
    [ShapeContract("Interpolate2d")]
    public Tensor Forward(Tensor input) => F.Interpolate(input, Size, ScaleFactor, Mode, AlignCorners);

    /// <inheritdoc/>
    protected override string ExtraRepr() => _repr;
}
