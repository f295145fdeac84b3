using ShapeSafe.Kernels.Pooling;

namespace ShapeSafe.Gradients;

/// <summary>
/// The backward of <c>MaxPool2d</c> ("MaxPool2DWithIndicesBackward") and <c>AvgPool2d</c>
/// ("AvgPool2DBackward"): binds <see cref="MaxPoolKernel.Backward"/> and <see cref="AvgPoolKernel.Backward"/>
/// to the saved state and allocates the input's gradient.
/// </summary>
internal static class PoolingGradient
{
    /// <summary>The input's gradient: each output gradient added at its window's argmax (<paramref name="indices"/>, Int32, saved by the forward).</summary>
    public static Tensor MaxPool(Tensor gradOutput, int[] indices, int[] inputSizes, in Pool2dGeometry geometry)
    {
        var g = gradOutput.Contiguous();
        var gradInput = Tensor.BackwardGradient((int[])inputSizes.Clone());
        MaxPoolKernel.Backward(geometry, g.FloatData, g.Offset, indices, 0, gradInput.FloatData, 0);
        return gradInput;
    }

    /// <summary>The input's gradient: each output gradient spread evenly over its window.</summary>
    public static Tensor AvgPool(Tensor gradOutput, int[] inputSizes, in Pool2dGeometry geometry, bool countIncludePad)
    {
        var g = gradOutput.Contiguous();
        var gradInput = Tensor.BackwardGradient((int[])inputSizes.Clone());
        AvgPoolKernel.Backward(geometry, g.FloatData, g.Offset, gradInput.FloatData, 0, countIncludePad);
        return gradInput;
    }
}
