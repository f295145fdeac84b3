namespace ShapeSafe.Kernels.Resampling;

/// <summary>
/// <see cref="InterpolateKernel"/> for Float64 planes (Float64 <c>F.interpolate</c>): the indices and weights of the
/// <see cref="TwoTapResampler{T}"/> of doubles that runs it, with ATen's double-input arithmetic: bilinear's scale,
/// source coordinate and weights in double (its opmath type), nearest's index from a float scale (ATen's
/// <c>nearest_idx</c> computes it in float for every dtype).
/// </summary>
internal static class InterpolateFloat64
{
    public static TwoTapResampler<double> Create(int planes, int h, int w, int oh, int ow, bool bilinear, bool alignCorners, double? scaleH, double? scaleW) =>
        new(MakeAxis(h, oh, bilinear, alignCorners, scaleH), MakeAxis(w, ow, bilinear, alignCorners, scaleW), planes, h, w);

    static TwoTapResampler<double>.Axis MakeAxis(int input, int output, bool bilinear, bool alignCorners, double? scaleFactor)
    {
        var axis = new TwoTapResampler<double>.Axis(output);
        for (int o = 0; o < output; o++)
        {
            if (!bilinear)
            {
                float nearestScale = scaleFactor is > 0 ? (float)(1.0 / scaleFactor.Value) : (float)input / output;
                int i = Math.Min((int)MathF.Floor(o * nearestScale), input - 1);
                axis.I0[o] = axis.I1[o] = i;
                axis.W0[o] = 1.0;
                continue;
            }
            double scale = alignCorners
                ? output > 1 ? (double)(input - 1) / (output - 1) : 0.0
                : scaleFactor is > 0 ? 1.0 / scaleFactor.Value : (double)input / output;
            double source = alignCorners ? scale * o : Math.Max(scale * (o + 0.5) - 0.5, 0.0);
            int i0 = Math.Min((int)Math.Floor(source), input - 1);
            int i1 = i0 + (i0 < input - 1 ? 1 : 0);
            double lambda1 = Math.Clamp(source - i0, 0.0, 1.0);
            axis.I0[o] = i0;
            axis.I1[o] = i1;
            axis.W0[o] = 1.0 - lambda1;
            axis.W1[o] = lambda1;
        }
        return axis;
    }
}
