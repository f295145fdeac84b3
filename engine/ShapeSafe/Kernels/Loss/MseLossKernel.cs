using System.Numerics.Tensors;

namespace ShapeSafe.Kernels.Loss;

/// <summary>
/// Mean squared error over two contiguous spans of one length (PyTorch's <c>mse_loss</c>), with TensorPrimitives
/// doing the arithmetic: the difference is formed once in the forward and once again in the backward, so nothing
/// but the inputs is kept between the passes.
/// </summary>
internal static class MseLossKernel
{
    /// <summary>(x - y)² element by element into <paramref name="loss"/> (reduction "none").</summary>
    public static void Elementwise(ReadOnlySpan<float> input, ReadOnlySpan<float> target, Span<float> loss)
    {
        TensorPrimitives.Subtract(input, target, loss);
        TensorPrimitives.Multiply(loss, loss, loss);
    }

    /// <summary>Σ (x - y)², accumulated in double over blocks so long inputs keep their precision.</summary>
    public static double Sum(ReadOnlySpan<float> input, ReadOnlySpan<float> target)
    {
        const int Block = 4096;
        Span<float> diff = stackalloc float[Math.Min(Block, input.Length)];
        double total = 0;
        for (int start = 0; start < input.Length; start += Block)
        {
            int length = Math.Min(Block, input.Length - start);
            var d = diff[..length];
            TensorPrimitives.Subtract(input.Slice(start, length), target.Slice(start, length), d);
            total += TensorPrimitives.SumOfSquares<float>(d);
        }
        return total;
    }

    /// <summary>
    /// d/dx = 2·(x - y)·scale into <paramref name="gradInput"/>, where scale is <paramref name="scale"/> or, for
    /// reduction "none", the upstream gradient element (<paramref name="scales"/>). d/dy is its negation.
    /// </summary>
    public static void Backward(ReadOnlySpan<float> input, ReadOnlySpan<float> target, ReadOnlySpan<float> scales, float scale, Span<float> gradInput)
    {
        TensorPrimitives.Subtract(input, target, gradInput);
        if (scales.IsEmpty)
        {
            TensorPrimitives.Multiply(gradInput, 2 * scale, gradInput);
            return;
        }
        TensorPrimitives.Multiply(gradInput, scales, gradInput);
        TensorPrimitives.Multiply(gradInput, 2f, gradInput);
    }
}
