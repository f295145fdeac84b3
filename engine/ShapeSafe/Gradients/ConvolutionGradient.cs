using ShapeSafe.Kernels.Convolution;

namespace ShapeSafe.Gradients;

/// <summary>
/// The backward of <c>Conv2d</c> ("ConvolutionBackward"): binds <see cref="ConvolutionKernel.Backward"/> to
/// the tensors the forward saved. The math is the kernel's; this only allocates the gradients asked for.
/// </summary>
internal static class ConvolutionGradient
{
    /// <param name="gradOutput">The output's gradient, in the output's shape.</param>
    /// <param name="input">The forward's input as a contiguous tensor (detached).</param>
    /// <param name="weight">The forward's weight as a contiguous tensor (detached).</param>
    /// <param name="geometry">The forward's geometry.</param>
    /// <param name="needInput">Whether to compute the input's gradient (returned in <paramref name="input"/>'s shape).</param>
    /// <param name="needWeight">Whether to compute the weight's gradient.</param>
    /// <param name="needBias">Whether to compute the bias's gradient.</param>
    /// <param name="reluOutput">When the forward fused a ReLU, its (contiguous) output: the gradient is masked where it is not positive.</param>
    /// <param name="pool">When the forward fused a max pool: its geometry and argmax (<paramref name="gradOutput"/> and
    /// <paramref name="reluOutput"/> are then the pooled gradient and values).</param>
    /// <returns>Gradients of input, weight and bias, null where not asked for.</returns>
    public static Tensor?[] Compute(Tensor gradOutput, Tensor input, Tensor weight, in Conv2dGeometry geometry,
        bool needInput, bool needWeight, bool needBias, Tensor? reluOutput = null, MaxPoolFusion? pool = null)
    {
        var g = gradOutput.Contiguous();
        var gradInput = needInput ? Tensor.BackwardGradient((int[])input.Sizes.Clone()) : null;
        var gradWeight = needWeight ? Tensor.BackwardGradient((int[])weight.Sizes.Clone()) : null;
        var gradBias = needBias ? Tensor.BackwardGradient(new[] { geometry.OutChannels }) : null;
        ConvolutionKernel.Backward(geometry,
            input.FloatData, input.Offset, weight.FloatData, weight.Offset,
            g.FloatData, g.Offset,
            gradInput?.FloatData, 0, gradWeight?.FloatData, 0, gradBias?.FloatData, 0,
            reluOutput?.FloatData, reluOutput?.Offset ?? 0, pool);
        return new[] { gradInput, gradWeight, gradBias };
    }

    /// <summary>
    /// <see cref="Compute"/> for a BFloat16 convolution: BFloat16 gradients, each the float32 one rounded once
    /// (<paramref name="reluOutput"/>, when the forward fused a ReLU, is its BFloat16 output; with <paramref name="pool"/>
    /// the pooled values, and <paramref name="gradOutput"/> the pooled gradient).
    /// </summary>
    public static Tensor?[] ComputeBFloat16(Tensor gradOutput, Tensor input, Tensor weight, in Conv2dGeometry geometry,
        bool needInput, bool needWeight, bool needBias, Tensor? reluOutput = null, MaxPoolFusion? pool = null)
    {
        // The engine hands a BFloat16 output a BFloat16 gradient; As is a no-op then.
        var g = gradOutput.As(DType.BFloat16).Contiguous();
        var gradInput = needInput ? Tensor.Uninitialized(DType.BFloat16, (int[])input.Sizes.Clone()) : null;
        var gradWeight = needWeight ? Tensor.Uninitialized(DType.BFloat16, (int[])weight.Sizes.Clone()) : null;
        var gradBias = needBias ? Tensor.Uninitialized(DType.BFloat16, new[] { geometry.OutChannels }) : null;
        ConvolutionKernel.BackwardBFloat16(geometry,
            input.BFloat16Data, input.Offset, weight.BFloat16Data, weight.Offset,
            g.BFloat16Data, g.Offset,
            gradInput?.BFloat16Data, 0, gradWeight?.BFloat16Data, 0, gradBias?.BFloat16Data, 0,
            reluOutput?.BFloat16Data, reluOutput?.Offset ?? 0, pool: pool);
        return new[] { gradInput, gradWeight, gradBias };
    }
}
