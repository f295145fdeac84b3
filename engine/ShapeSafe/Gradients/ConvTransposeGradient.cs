using ShapeSafe.Kernels.Convolution;
using ShapeSafe.Kernels.Elementwise;

namespace ShapeSafe.Gradients;

/// <summary>
/// The backward of <c>ConvTranspose2d</c>. The forward ran <see cref="ConvolutionKernel.BackwardInput"/> of the
/// convolution its geometry describes (from the transposed output back to the input), so the input's
/// gradient is that convolution's forward of the output's gradient, the weight's gradient its
/// <see cref="ConvolutionKernel.BackwardWeight"/> with the output's gradient as input and the forward's input as
/// the gradient, and the bias's gradient the output's gradient summed per channel.
/// </summary>
internal static class ConvTransposeGradient
{
    public static Tensor?[] Compute(Tensor gradOutput, Tensor input, Tensor weight, in Conv2dGeometry geometry,
        bool needInput, bool needWeight, bool needBias)
    {
        var g = gradOutput.Contiguous();
        Tensor? gradInput = null, gradWeight = null, gradBias = null;
        if (needInput)
        {
            gradInput = Tensor.BackwardGradient((int[])input.Sizes.Clone());
            ConvolutionKernel.Forward(geometry, g.FloatData, g.Offset, weight.FloatData, weight.Offset, null, 0, gradInput.FloatData, 0);
        }
        if (needWeight)
        {
            gradWeight = Tensor.BackwardGradient((int[])weight.Sizes.Clone());
            ConvolutionKernel.BackwardWeight(geometry, g.FloatData, g.Offset, input.FloatData, input.Offset, gradWeight.FloatData, 0);
        }
        if (needBias)
        {
            int channels = g.Sizes[^3];
            int plane = g.Sizes[^1] * g.Sizes[^2];
            int images = channels * plane == 0 ? 0 : g.Count / (channels * plane);
            var sums = new double[channels];
            var data = g.FloatData;
            for (int n = 0; n < images; n++)
                for (int c = 0; c < channels; c++)
                    for (int i = 0; i < plane; i++) sums[c] += data[g.Offset + (n * channels + c) * plane + i];
            var values = new float[channels];
            for (int c = 0; c < channels; c++) values[c] = (float)sums[c];
            gradBias = Tensor.Create(new Storage(values), new[] { channels });
        }
        return new[] { gradInput, gradWeight, gradBias };
    }

    /// <summary><see cref="Compute"/> for a BFloat16 transposed convolution: each gradient the float32 one rounded once.</summary>
    public static Tensor?[] ComputeBFloat16(Tensor gradOutput, Tensor input, Tensor weight, in Conv2dGeometry geometry,
        bool needInput, bool needWeight, bool needBias)
    {
        var g = gradOutput.As(DType.BFloat16).Contiguous();
        var bits = g.BFloat16Data;
        Tensor? gradInput = null, gradWeight = null, gradBias = null;
        if (needInput)
        {
            gradInput = Tensor.Uninitialized(DType.BFloat16, (int[])input.Sizes.Clone());
            ConvolutionKernel.ForwardBFloat16(geometry, bits, g.Offset, weight.BFloat16Data, weight.Offset, null, 0, gradInput.BFloat16Data, 0);
        }
        if (needWeight)
        {
            gradWeight = Tensor.Uninitialized(DType.BFloat16, (int[])weight.Sizes.Clone());
            ConvolutionKernel.BackwardBFloat16(geometry, bits, g.Offset, [], 0, input.BFloat16Data, input.Offset,
                null, 0, gradWeight.BFloat16Data, 0, null, 0);
        }
        if (needBias)
        {
            // Summed in double and narrowed to float as the float32 backward does, then rounded once.
            int channels = g.Sizes[^3];
            int plane = g.Sizes[^1] * g.Sizes[^2];
            int images = channels * plane == 0 ? 0 : g.Count / (channels * plane);
            var sums = new double[channels];
            for (int n = 0; n < images; n++)
                for (int c = 0; c < channels; c++)
                    for (int i = 0; i < plane; i++) sums[c] += DTypeConversion.FromBFloat16(bits[g.Offset + (n * channels + c) * plane + i]);
            var values = new ushort[channels];
            for (int c = 0; c < channels; c++) values[c] = DTypeConversion.ToBFloat16((float)sums[c]);
            gradBias = Tensor.Create(new Storage(values), new[] { channels });
        }
        return new[] { gradInput, gradWeight, gradBias };
    }
}
