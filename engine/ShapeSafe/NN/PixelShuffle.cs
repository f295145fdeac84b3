namespace ShapeSafe.NN;

/// <summary>
/// Rearranges [*, C·r², H, W] into [*, C, H·r, W·r] (<c>nn.PixelShuffle</c>), the upsampling step of sub-pixel
/// convolution (ESPCN, super-resolution models). The computation is <see cref="F.PixelShuffle"/>.
/// </summary>
public class PixelShuffle : Module, ITensorModule
{
    /// <summary>Creates the layer for an upscale factor r.</summary>
    public PixelShuffle(int upscaleFactor) => UpscaleFactor = upscaleFactor;

    /// <summary>r: each spatial dim grows r times; the channels shrink r² times.</summary>
    public int UpscaleFactor { get; }

    /// <summary>Rearranges <paramref name="input"/>.</summary>
    [ShapeContract("PixelShuffle")]
    public Tensor Forward(Tensor input) => F.PixelShuffle(input, UpscaleFactor);

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"upscale_factor={UpscaleFactor}";
}
