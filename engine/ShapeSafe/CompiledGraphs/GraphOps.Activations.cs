using System.Numerics.Tensors;
using ShapeSafe.Gradients;
using ShapeSafe.Kernels.Dropout;
using ShapeSafe.Kernels.Elementwise;

namespace ShapeSafe.CompiledGraphs;

// The activations SiLU, Mish, Softplus, Hardswish and LeakyReLU, and channel dropout. Each forward is the kernel the
// eager function runs (F.Silu, F.Softplus, Tensor.LeakyRelu, F.Dropout2d), each backward the rule the eager node's
// gradient runs (Gradients/ActivationGradient.cs, ElementwiseGradient.LeakyRelu), on the step's planned buffers, so
// values and gradients are eager mode's bit for bit and nothing is allocated.
public static partial class GraphOps
{
    /// <summary>output = x·σ(x), the kernel of <see cref="NN.F.Silu"/>.</summary>
    public static void Silu(Tensor input, Tensor output) => default(SiluOp).Apply(Span(input), Span(output));

    /// <summary>output = x·tanh(softplus(x)), the kernel of <see cref="NN.F.Mish"/>.</summary>
    public static void Mish(Tensor input, Tensor output) => default(MishOp).Apply(Span(input), Span(output));

    /// <summary>output = softplus(x) with β and the threshold as floats, as <see cref="NN.F.Softplus"/> rounds them.</summary>
    public static void Softplus(Tensor input, float beta, float threshold, Tensor output) =>
        new SoftplusOp(beta, threshold).Apply(Span(input), Span(output));

    /// <summary>output = x·relu6(x + 3) / 6, the kernel of <see cref="NN.F.Hardswish"/>.</summary>
    public static void Hardswish(Tensor input, Tensor output) => default(HardswishOp).Apply(Span(input), Span(output));

    /// <summary>output = x &gt; 0 ? x : slope·x, the kernel of <see cref="Tensor.LeakyRelu"/> (the slope as a float, as <see cref="NN.F.LeakyRelu"/> rounds it).</summary>
    public static void LeakyRelu(Tensor input, float negativeSlope, Tensor output) =>
        new LeakyReluOp(negativeSlope).Apply(Span(input), Span(output));

    /// <summary>SiLU's backward from its input, the rule of eager's "SiluBackward" (may run in place).</summary>
    public static void SiluBackward(Tensor gradOutput, Tensor input, Tensor gradInput) =>
        ActivationGradient.SiluInto(Span(gradOutput), Span(input), Span(gradInput));

    /// <summary>Mish's backward from its input, the rule of eager's "MishBackward" (may run in place).</summary>
    public static void MishBackward(Tensor gradOutput, Tensor input, Tensor gradInput) =>
        ActivationGradient.MishInto(Span(gradOutput), Span(input), Span(gradInput));

    /// <summary>Softplus's backward from its input, the rule of eager's "SoftplusBackward" (may run in place).</summary>
    public static void SoftplusBackward(Tensor gradOutput, Tensor input, float beta, float threshold, Tensor gradInput) =>
        ActivationGradient.SoftplusInto(Span(gradOutput), Span(input), beta, threshold, Span(gradInput));

    /// <summary>Hardswish's backward from its input, the rule of eager's "HardswishBackward" (may run in place).</summary>
    public static void HardswishBackward(Tensor gradOutput, Tensor input, Tensor gradInput) =>
        ActivationGradient.HardswishInto(Span(gradOutput), Span(input), Span(gradInput));

    /// <summary>LeakyReLU's backward from its input, the rule of eager's "LeakyReluBackward" (may run in place).</summary>
    public static void LeakyReluBackward(Tensor gradOutput, Tensor input, float negativeSlope, Tensor gradInput) =>
        ElementwiseGradient.LeakyReluBackward(Span(gradOutput), Span(input), negativeSlope, Span(gradInput));

    /// <summary>
    /// The length of a <see cref="NN.Dropout2d"/> mask for an input of <paramref name="input"/>: one per channel of
    /// each sample (N·C), after the eager function's check that the input has at least 2 dims.
    /// </summary>
    /// <exception cref="ShapeException">The input has fewer than 2 dims.</exception>
    public static int Dropout2dMaskCount(int[] input)
    {
        NN.F.CheckFeatureDropout("Dropout2d", input);
        return input[0] * input[1];
    }

    /// <summary>
    /// output = dropout2d(input) as <see cref="NN.Dropout2d"/> runs it: in training mode (and p &gt; 0, the input not
    /// empty) one mask value per channel drawn into <paramref name="mask"/> as <see cref="NN.F.Dropout2d"/> draws it, from
    /// the layer's generator, and multiplied into the channel; otherwise a copy. Returns whether the mask applies.
    /// </summary>
    public static bool Dropout2d(NN.Dropout2d layer, Tensor input, Tensor output, float[] mask)
    {
        if (!layer.Training || layer.P == 0 || input.Count == 0)
        {
            Copy(input, output);
            return false;
        }
        if (layer.P == 1) mask.AsSpan().Clear();
        else DropoutKernel.Mask(mask, layer.P, layer.Generator);
        Dropout2dWithMask(true, input, mask, output);
        return true;
    }

    /// <summary>
    /// <see cref="Dropout2d(NN.Dropout2d, Tensor, Tensor, float[])"/>'s output from the mask it drew, drawing nothing:
    /// each channel times its mask value when <paramref name="masked"/>, else a copy. A recomputing backward runs it.
    /// </summary>
    public static void Dropout2dWithMask(bool masked, Tensor input, float[] mask, Tensor output)
    {
        if (masked) ScaleChannels(Span(input), mask, Span(output));
        else Copy(input, output);
    }

    /// <summary>The input's gradient of a channel dropout: the output's gradient times each channel's mask value, or a copy.</summary>
    public static void Dropout2dBackward(bool masked, Tensor gradOutput, float[] mask, Tensor gradInput)
    {
        if (masked) ScaleChannels(Span(gradOutput), mask, Span(gradInput));
        else Copy(gradOutput, gradInput);
    }

    /// <summary>d = x·mask[channel], the channels of [N, C, *] as consecutive runs of the same length, one per mask value.</summary>
    static void ScaleChannels(ReadOnlySpan<float> x, float[] mask, Span<float> d)
    {
        if (mask.Length == 0) return;
        int run = x.Length / mask.Length;
        for (int c = 0; c < mask.Length; c++)
            TensorPrimitives.Multiply(x.Slice(c * run, run), mask[c], d.Slice(c * run, run));
    }
}
