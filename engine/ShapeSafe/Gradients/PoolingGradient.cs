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
    public static Tensor AvgPool(Tensor gradOutput, int[] inputSizes, in Pool2dGeometry geometry, bool countIncludePad, int? divisorOverride = null)
    {
        var g = gradOutput.Contiguous();
        var gradInput = Tensor.BackwardGradient((int[])inputSizes.Clone());
        AvgPoolKernel.Backward(geometry, g.FloatData, g.Offset, gradInput.FloatData, 0, countIncludePad, divisorOverride);
        return gradInput;
    }
}

/// <summary>The backward of adaptive average and max pooling ("AdaptiveAvgPool2DBackward", "AdaptiveMaxPool2DBackward").</summary>
internal static class AdaptivePoolingGradient
{
    /// <summary>Each output gradient spread evenly over its window.</summary>
    public static Tensor Avg(Tensor gradOutput, int[] inputSizes)
    {
        var g = gradOutput.Contiguous().ToFloatArray();
        var gradInput = Tensor.Zeros(inputSizes);
        var (planes, h, w, oh, ow) = Planes(inputSizes, gradOutput.Sizes);
        AdaptivePoolKernel.AvgBackward(g, planes, h, w, oh, ow, gradInput.FloatData);
        return gradInput;
    }

    /// <summary>Each output gradient added at its window's argmax.</summary>
    public static Tensor Max(Tensor gradOutput, long[] indices, int[] inputSizes)
    {
        var g = gradOutput.Contiguous().ToFloatArray();
        var gradInput = Tensor.Zeros(inputSizes);
        var (planes, h, w, oh, ow) = Planes(inputSizes, gradOutput.Sizes);
        AdaptivePoolKernel.MaxBackward(g, indices, planes, h, w, oh, ow, gradInput.FloatData);
        return gradInput;
    }

    /// <summary>[..., H, W] and [..., OH, OW] as planes of H × W and OH × OW.</summary>
    internal static (int Planes, int H, int W, int OH, int OW) Planes(int[] inputSizes, int[] outputSizes)
    {
        int planes = 1;
        for (int i = 0; i < inputSizes.Length - 2; i++) planes *= inputSizes[i];
        return (planes, inputSizes[^2], inputSizes[^1], outputSizes[^2], outputSizes[^1]);
    }
}
