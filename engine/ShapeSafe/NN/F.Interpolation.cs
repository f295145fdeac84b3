using ShapeSafe.Gradients;
using ShapeSafe.Kernels.Resampling;
using ShapeSafe.Tracing;

namespace ShapeSafe.NN;

// Spatial resampling of [N, C, H, W] (F.interpolate's 2-D modes).
public static partial class F
{
    /// <summary>
    /// <c>F.interpolate</c> for [N, C, H, W]: resizes H and W to <paramref name="size"/>, or scales them by
    /// <paramref name="scaleFactor"/> (the output is floor(size·factor), and the factor itself sets the sampling
    /// step, as PyTorch does without <c>recompute_scale_factor</c>). <paramref name="mode"/> is <c>"nearest"</c> (the
    /// default) or <c>"bilinear"</c>; <paramref name="alignCorners"/> (bilinear only; null means false) maps the corner
    /// pixels of input and output onto each other.
    /// </summary>
    /// <exception cref="ShapeException">The input is not 4-D, or neither (or both) of size and scale factor is given.</exception>
    /// <exception cref="ArgumentException">An unknown mode, or alignCorners with nearest.</exception>
    [ShapeContract("Interpolate2d")]
    public static Tensor Interpolate(Tensor input, (int Height, int Width)? size = null, (double Height, double Width)? scaleFactor = null,
        string mode = "nearest", bool? alignCorners = null)
    {
        const string op = "Interpolate";
        if (OpTrace.Recording)
            return OpTrace.Run(op, [input], () => Interpolate(input, size, scaleFactor, mode, alignCorners),
                ("scaleFactor", scaleFactor is { } sf ? new[] { sf.Height, sf.Width } : Array.Empty<double>()), ("mode", mode), ("alignCorners", alignCorners ?? false));
        ArgumentNullException.ThrowIfNull(input);
        if (input.DType != DType.Float64) RequireFloat(op, input, "input");
        bool bilinear = mode switch
        {
            "nearest" => false,
            "bilinear" => true,
            _ => throw new ArgumentException($"{op}: mode '{mode}' is not supported; use 'nearest' or 'bilinear' (input {Rules.Format(input.Sizes)})", nameof(mode)),
        };
        if (!bilinear && alignCorners is not null)
            throw new ArgumentException($"{op}: align_corners option can only be set with the interpolating modes: linear | bilinear | bicubic | trilinear", nameof(alignCorners));
        var outShape = Rules.Interpolate2d(input.Sizes,
            size is { } s ? new[] { s.Height, s.Width } : null,
            scaleFactor is { } f ? new[] { f.Height, f.Width } : null, op);
        if (input.DType == DType.Float64) return InterpolateFloat64Path(input, outShape, bilinear, alignCorners ?? false, scaleFactor);
        int planes = outShape[0] * outShape[1];
        var kernel = InterpolateKernel.Create(planes, input.Sizes[2], input.Sizes[3], outShape[2], outShape[3], bilinear,
            alignCorners ?? false, scaleFactor?.Height, scaleFactor?.Width);
        var x = input.Detach().Contiguous();
        var result = Tensor.Uninitialized(DType.Float32, outShape);
        kernel.Forward(x.FloatData, x.Offset, result.FloatData);
        if (!Tensor.MustRecord(input)) return result;
        var sizes = (int[])input.Sizes.Clone();
        return result.Recorded(bilinear ? "UpsampleBilinear2DBackward" : "UpsampleNearest2DBackward", new Tensor?[] { input },
            g => new Tensor?[] { ResamplingGradient.Interpolate(g, sizes, kernel) });
    }

    /// <summary><c>F.interpolate</c> with one scale factor for both dims.</summary>
    [ShapeContract("Interpolate2d")]
    public static Tensor Interpolate(Tensor input, double scaleFactor, string mode = "nearest", bool? alignCorners = null) =>
        Interpolate(input, null, (scaleFactor, scaleFactor), mode, alignCorners);
}
