namespace ShapeSafe.Kernels.Resampling;

/// <summary>
/// 2-D nearest and bilinear resampling of Float32 planes: the indices and weights of the
/// <see cref="TwoTapResampler{T}"/> that runs it. They follow ATen's CPU kernels: nearest reads
/// <c>min(floor(o·scale), in − 1)</c> in float; bilinear's source coordinate is <c>o·(in − 1)/(out − 1)</c> with aligned
/// corners, else <c>max((o + ½)·scale − ½, 0)</c>, where scale is 1/scale_factor when one was given, else in/out.
/// </summary>
internal static class InterpolateKernel
{
    public static TwoTapResampler<float> Create(int planes, int h, int w, int oh, int ow, bool bilinear, bool alignCorners, double? scaleH, double? scaleW) =>
        new(MakeAxis(h, oh, bilinear, alignCorners, scaleH), MakeAxis(w, ow, bilinear, alignCorners, scaleW), planes, h, w);

    static TwoTapResampler<float>.Axis MakeAxis(int input, int output, bool bilinear, bool alignCorners, double? scaleFactor)
    {
        var axis = new TwoTapResampler<float>.Axis(output);
        // ATen's compute_scales_value: 1/scale_factor when given, else in/out, as a float.
        float scale = scaleFactor is > 0 ? (float)(1.0 / scaleFactor.Value) : (float)input / output;
        if (bilinear && alignCorners) scale = output > 1 ? (float)(input - 1) / (output - 1) : 0f;
        for (int o = 0; o < output; o++)
        {
            if (!bilinear)
            {
                int i = output == input ? o : output == 2 * input ? o >> 1 : Math.Min((int)MathF.Floor(o * scale), input - 1);
                axis.I0[o] = axis.I1[o] = i;
                axis.W0[o] = 1f;
                axis.W1[o] = 0f;
                continue;
            }
            float source = alignCorners ? scale * o : MathF.Max(scale * (o + 0.5f) - 0.5f, 0f);
            int i0 = Math.Min((int)source, input - 1);
            int i1 = i0 + (i0 < input - 1 ? 1 : 0);
            float lambda1 = Math.Clamp(source - i0, 0f, 1f);
            axis.I0[o] = i0;
            axis.I1[o] = i1;
            axis.W0[o] = 1f - lambda1;
            axis.W1[o] = lambda1;
        }
        return axis;
    }
}
