using ShapeSafe.Kernels.Padding;

namespace ShapeSafe.Gradients;

/// <summary>The backward of <c>F.Pad</c> in every mode ("ConstantPadNdBackward", "ReflectionPad2DBackward", ...).</summary>
internal static class PaddingGradient
{
    /// <summary>Each output gradient added at the input element it was read from; padded constants get none.</summary>
    public static Tensor Pad(Tensor gradOutput, int[] inputSizes, PadKernel kernel)
    {
        var g = gradOutput.Contiguous();
        var gradInput = Tensor.Zeros(inputSizes);
        kernel.Backward(g.FloatData, g.Offset, gradInput.FloatData);
        return gradInput;
    }
}
