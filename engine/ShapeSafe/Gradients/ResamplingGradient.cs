using ShapeSafe.Kernels.Resampling;

namespace ShapeSafe.Gradients;

/// <summary>The backward of <c>F.Interpolate</c> ("UpsampleNearest2DBackward", "UpsampleBilinear2DBackward").</summary>
internal static class ResamplingGradient
{
    /// <summary>Each output gradient spread over the input elements it was interpolated from, with the same weights.</summary>
    public static Tensor Interpolate(Tensor gradOutput, int[] inputSizes, TwoTapResampler<float> kernel)
    {
        var g = gradOutput.Contiguous();
        var gradInput = Tensor.Zeros(inputSizes);
        kernel.Backward(g.FloatData, g.Offset, gradInput.FloatData);
        return gradInput;
    }
}
