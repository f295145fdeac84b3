using System.Numerics.Tensors;
using System.Runtime.Intrinsics;
using ShapeSafe.Kernels.Elementwise;
using ShapeSafe.Gradients;
using ShapeSafe.Kernels.Gemm;

namespace ShapeSafe.Kernels.Convolution;

/// <summary>
/// How the convolution's chunk loop reads operands of element type <typeparamref name="T"/> into its float32 buffers
/// and where it leaves the float32 input gradient: <see cref="Float32Operands"/> copies (the gradient is summed in
/// place), <see cref="BFloat16Operands"/> widens (exactly) and rounds the gradient once at the end. Both loops are
/// the one <see cref="ConvolutionKernel"/> runs, so the float32 sums are the same for both element types.
/// </summary>
internal interface IConvOperands<T>
{
    /// <summary>The column matrix of <paramref name="channels"/> channels of one image (Im2Col.Fill).</summary>
    static abstract void FillColumns(in Conv2dGeometry g, T[] input, int image, int channels, float[] columns, int columnsOffset, int ld);

    /// <summary>gradColumns[r, l] = Σ_o weight[o, r] · gradCat[o, l] over the group's <paramref name="outs"/> output channels.</summary>
    static abstract void TransposedWeightProduct(int rows, int width, int outs, T[] weight, int weightOffset,
        float[] gradCat, int gradCatOffset, float[] gradColumns);

    /// <summary><paramref name="target"/> = <paramref name="source"/> as float32.</summary>
    static abstract void Widen(ReadOnlySpan<T> source, Span<float> target);

    /// <summary>One value as float32.</summary>
    static abstract float Widen(T value);

    /// <summary>ReLU's backward on the forward's output: 0 where <paramref name="result"/> is not positive, else the gradient.</summary>
    static abstract void ReluBackward(ReadOnlySpan<T> grad, ReadOnlySpan<T> result, Span<float> target);

    /// <summary>Where the chunk's float32 input gradient of images [first, first + count) is summed, cleared.</summary>
    static abstract (float[] Sums, int Offset) InputGradientSums(in Conv2dGeometry g, T[] gradInput, int gradInputOffset, int first, int count);

    /// <summary>Moves the chunk's sums to <paramref name="gradInput"/> (with the per-channel bias added first when given).</summary>
    static abstract void FinishInputGradient(in Conv2dGeometry g, float[] sums, T[] gradInput, int gradInputOffset,
        T[]? gradInputBias, int gradInputBiasOffset, int first, int count);
}

/// <summary>Float32 operands: read as they are; the input gradient is summed straight into its place.</summary>
internal readonly struct Float32Operands : IConvOperands<float>
{
    public static void FillColumns(in Conv2dGeometry g, float[] input, int image, int channels, float[] columns, int columnsOffset, int ld) =>
        Im2Col.Fill(g, input, image, channels, columns, columnsOffset, ld);

    public static void TransposedWeightProduct(int rows, int width, int outs, float[] weight, int weightOffset,
        float[] gradCat, int gradCatOffset, float[] gradColumns) =>
        GemmKernel.Sgemm(rows, width, outs, 1f,
            weight, weightOffset, 1, rows,
            gradCat, gradCatOffset, width, 1,
            0f, gradColumns, 0, width, 1);

    public static void Widen(ReadOnlySpan<float> source, Span<float> target) => source.CopyTo(target);

    public static float Widen(float value) => value;

    public static void ReluBackward(ReadOnlySpan<float> grad, ReadOnlySpan<float> result, Span<float> target) =>
        ElementwiseGradient.ReluBackward(grad, result, target);

    public static (float[] Sums, int Offset) InputGradientSums(in Conv2dGeometry g, float[] gradInput, int gradInputOffset, int first, int count)
    {
        int offset = gradInputOffset + first * g.InImage;
        gradInput.AsSpan(offset, count * g.InImage).Clear();
        return (gradInput, offset);
    }

    public static void FinishInputGradient(in Conv2dGeometry g, float[] sums, float[] gradInput, int gradInputOffset,
        float[]? gradInputBias, int gradInputBiasOffset, int first, int count)
    {
        if (gradInputBias is not null)
            throw new InvalidOperationException("ConvolutionKernel.Backward: a float32 input gradient takes no bias");
    }
}

/// <summary>
/// BFloat16 operands: widened to float32 (exact) as they are read; the chunk's input gradient is summed in float32
/// scratch and rounded once into the BFloat16 gradient, after the per-channel bias of a transposed convolution.
/// </summary>
internal readonly struct BFloat16Operands : IConvOperands<ushort>
{
    public static void FillColumns(in Conv2dGeometry g, ushort[] input, int image, int channels, float[] columns, int columnsOffset, int ld) =>
        Im2Col.Fill(g, input, image, channels, columns, columnsOffset, ld);

    public static void TransposedWeightProduct(int rows, int width, int outs, ushort[] weight, int weightOffset,
        float[] gradCat, int gradCatOffset, float[] gradColumns) =>
        GemmBFloat16.GemmWidenedA(rows, width, outs,
            weight, weightOffset, 1, rows,
            gradCat, gradCatOffset, width, 1,
            gradColumns, 0, width);

    public static void Widen(ReadOnlySpan<ushort> source, Span<float> target) => DTypeConversion.FromBFloat16(source, target);

    public static float Widen(ushort value) => DTypeConversion.FromBFloat16(value);

    // destination = widen(y) <= 0 ? 0 : widen(g) (threshold_backward, as ElementwiseGradient.ReluBackward on widened operands).
    public static void ReluBackward(ReadOnlySpan<ushort> grad, ReadOnlySpan<ushort> result, Span<float> destination)
    {
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            for (; i + 16 <= destination.Length; i += 16)
            {
                var (gLo, gHi) = Vector256.Widen(Vector256.Create(grad.Slice(i, 16)));
                var (yLo, yHi) = Vector256.Widen(Vector256.Create(result.Slice(i, 16)));
                Mask(Vector256.ShiftLeft(gLo, 16).AsSingle(), Vector256.ShiftLeft(yLo, 16).AsSingle()).CopyTo(destination.Slice(i, 8));
                Mask(Vector256.ShiftLeft(gHi, 16).AsSingle(), Vector256.ShiftLeft(yHi, 16).AsSingle()).CopyTo(destination.Slice(i + 8, 8));
            }
        }
        for (; i < destination.Length; i++)
            destination[i] = DTypeConversion.FromBFloat16(result[i]) <= 0f ? 0f : DTypeConversion.FromBFloat16(grad[i]);

        static Vector256<float> Mask(Vector256<float> g, Vector256<float> y) =>
            Vector256.ConditionalSelect(Vector256.LessThanOrEqual(y, Vector256<float>.Zero), Vector256<float>.Zero, g);
    }

    public static (float[] Sums, int Offset) InputGradientSums(in Conv2dGeometry g, ushort[] gradInput, int gradInputOffset, int first, int count)
    {
        float[] images = ConvolutionBuffers.InputGradients(count * g.InImage);
        images.AsSpan(0, count * g.InImage).Clear();
        return (images, 0);
    }

    public static void FinishInputGradient(in Conv2dGeometry g, float[] sums, ushort[] gradInput, int gradInputOffset,
        ushort[]? gradInputBias, int gradInputBiasOffset, int first, int count)
    {
        for (int b = 0; b < count; b++)
        {
            for (int c = 0; c < g.InChannels; c++)
            {
                var values = sums.AsSpan(b * g.InImage + c * g.InPlane, g.InPlane);
                if (gradInputBias is not null)
                    TensorPrimitives.Add(values, DTypeConversion.FromBFloat16(gradInputBias[gradInputBiasOffset + c]), values);
                DTypeConversion.ToBFloat16(values, gradInput.AsSpan(gradInputOffset + (first + b) * g.InImage + c * g.InPlane, g.InPlane));
            }
        }
    }
}
