using System.Numerics.Tensors;
using System.Runtime.Intrinsics;
using ShapeSafe.Kernels.Elementwise;
using ShapeSafe.Kernels.Gemm;
using ShapeSafe.Kernels.Parallel;
using ShapeSafe.Kernels.Pooling;

namespace ShapeSafe.Kernels.Convolution;

// BFloat16 convolutions as ATen's CPU kernels compute them: float32 sums, one rounding of each result. The operands are
// read as BFloat16 and widened where the float32 kernel copies them anyway: the input in im2col (Im2Col.Fill), the
// output gradient as it is gathered per chunk, the weight in the GEMM's packing (GemmBFloat16.GemmWidenedA). The
// chunks, GEMMs and sums are the float32 kernel's own, so each float32 result before its rounding is bitwise what
// Forward / Backward give on the widened operands. Geometries that need bands (NeedsBands) are not handled here.
internal static partial class ConvolutionKernel
{
    /// <summary>
    /// <see cref="Forward"/> for BFloat16 operands and output: the float32 sums plus the bias (widened), then the ReLU
    /// when <paramref name="relu"/>, rounded once into <paramref name="output"/>. <paramref name="g"/> must not need bands.
    /// With <paramref name="pool"/> the rounded values are max-pooled as they are made (the pool of the BFloat16 output, as
    /// the unfused max pool would take it) and <paramref name="output"/> receives the pooled tensor.
    /// </summary>
    public static void ForwardBFloat16(in Conv2dGeometry g,
        ushort[] input, int inputOffset, ushort[] weight, int weightOffset, ushort[]? bias, int biasOffset,
        ushort[] output, int outputOffset, bool relu = false, MaxPoolFusion? pool = null)
    {
        if (g.Batch == 0 || g.OutImage == 0)
            return;
        if (NeedsBands(g))
            throw new InvalidOperationException($"ConvolutionKernel.ForwardBFloat16: an image of [{g.InChannels}, {g.InHeight}, {g.InWidth}] needs bands, which only the float32 kernel cuts");
        int chunks = ChunkCount(g);
        var body = new ForwardBFloat16Body(g, chunks, input, inputOffset, weight, weightOffset, bias, biasOffset, output, outputOffset, relu, pool);
        if (SplitBatch(g, chunks))
        {
            ParallelRuntime.For(chunks, ref body);
        }
        else
        {
            for (int c = 0; c < chunks; c++)
                body.Invoke(c);
        }
    }

    /// <summary>
    /// <see cref="Backward"/> for BFloat16 operands and gradients: each non-null target is overwritten with its float32
    /// gradient rounded once. <paramref name="reluOutput"/> is the (BFloat16) output of a forward that fused a ReLU: the
    /// gradient is zero where it is not positive, as ReLU's backward on that output would give. When
    /// <paramref name="gradInputBias"/> is given (a transposed convolution, whose forward is this input gradient), its
    /// per-channel values are added to the float32 input gradient before the rounding. When the forward fused a max pool
    /// (<paramref name="pool"/>, with the indices it wrote), <paramref name="gradOutput"/> and <paramref name="reluOutput"/>
    /// are the pooled gradient and values. <paramref name="g"/> must not need bands.
    /// </summary>
    public static void BackwardBFloat16(in Conv2dGeometry g,
        ushort[] input, int inputOffset, ushort[] weight, int weightOffset,
        ushort[] gradOutput, int gradOutputOffset,
        ushort[]? gradInput, int gradInputOffset,
        ushort[]? gradWeight, int gradWeightOffset,
        ushort[]? gradBias, int gradBiasOffset,
        ushort[]? reluOutput = null, int reluOutputOffset = 0,
        ushort[]? gradInputBias = null, int gradInputBiasOffset = 0, MaxPoolFusion? pool = null)
    {
        if (g.Batch == 0 || g.OutImage == 0)
        {
            // Nothing flows back: every gradient is zero (the input gradient, with a bias, is that bias).
            if (gradInput is not null)
            {
                gradInput.AsSpan(gradInputOffset, g.Batch * g.InImage).Clear();
                if (gradInputBias is not null)
                {
                    for (int n = 0; n < g.Batch; n++)
                        for (int c = 0; c < g.InChannels; c++)
                            gradInput.AsSpan(gradInputOffset + n * g.InImage + c * g.InPlane, g.InPlane).Fill(
                                DTypeConversion.ToBFloat16(0f + DTypeConversion.FromBFloat16(gradInputBias[gradInputBiasOffset + c])));
                }
            }
            gradWeight?.AsSpan(gradWeightOffset, g.WeightCount).Clear();
            gradBias?.AsSpan(gradBiasOffset, g.OutChannels).Clear();
            return;
        }
        bool reduces = gradWeight is not null || gradBias is not null;
        if (gradInput is null && !reduces)
            return;
        if (NeedsBands(g))
            throw new InvalidOperationException($"ConvolutionKernel.BackwardBFloat16: an image of [{g.InChannels}, {g.InHeight}, {g.InWidth}] needs bands, which only the float32 kernel cuts");

        int chunks = ChunkCount(g);
        int partialStride = reduces ? g.WeightCount + g.OutChannels : 0;
        float[] partials = reduces ? ConvolutionBuffers.Partials(chunks * partialStride) : [];
        var body = new BackwardBFloat16Body(g, chunks, input, inputOffset, weight, weightOffset, gradOutput, gradOutputOffset,
            reluOutput, reluOutputOffset, pool, gradInput, gradInputOffset, gradInputBias, gradInputBiasOffset,
            gradWeight is not null, gradBias is not null, partials, partialStride);
        if (SplitBatch(g, chunks))
        {
            ParallelRuntime.For(chunks, ref body);
        }
        else
        {
            for (int c = 0; c < chunks; c++)
                body.Invoke(c);
        }
        if (!reduces)
            return;

        // The float32 kernel's fixed-order reduction of the chunk partials (into chunk 0's), then the one rounding.
        if (gradWeight is not null)
        {
            var sum = partials.AsSpan(0, g.WeightCount);
            SumChunks(partials, 0, partialStride, chunks, sum);
            DTypeConversion.ToBFloat16(sum, gradWeight.AsSpan(gradWeightOffset, g.WeightCount));
        }
        if (gradBias is not null)
        {
            var sum = partials.AsSpan(g.WeightCount, g.OutChannels);
            SumChunks(partials, g.WeightCount, partialStride, chunks, sum);
            DTypeConversion.ToBFloat16(sum, gradBias.AsSpan(gradBiasOffset, g.OutChannels));
        }
    }

    // FillColumns from a BFloat16 input.
    private static void FillColumns(in Conv2dGeometry g, ushort[] input, int inputOffset, int first, int count, int group, float[] columns)
    {
        int width = count * g.OutPlane;
        for (int b = 0; b < count; b++)
        {
            int image = inputOffset + (first + b) * g.InImage + group * g.GroupInChannels * g.InPlane;
            Im2Col.Fill(g, input, image, g.GroupInChannels, columns, b * g.OutPlane, width);
        }
    }

    // row += bias, then the ReLU: the float32 epilogue's operations (an IEEE add, then max(v, 0) with max's NaN and
    // signed-zero rules), so the values match the ones that epilogue leaves in C.
    private static void AddBiasRelu(Span<float> row, float? bias, bool relu)
    {
        if (bias is { } b)
            TensorPrimitives.Add(row, b, row);
        if (relu)
            TensorPrimitives.Max(row, 0f, row);
    }

    private readonly struct ForwardBFloat16Body(Conv2dGeometry g, int chunks,
        ushort[] input, int inputOffset, ushort[] weight, int weightOffset, ushort[]? bias, int biasOffset,
        ushort[] output, int outputOffset, bool relu, MaxPoolFusion? pool) : IParallelBody
    {
        public void Invoke(int chunk)
        {
            var (first, count) = ChunkImages(g, chunk, chunks);
            int rows = g.ColumnRows, plane = g.OutPlane, groupOut = g.GroupOutChannels, width = count * plane;
            float[] columns = ConvolutionBuffers.Columns(rows * width);
            float[] products = ConvolutionBuffers.Products(groupOut * width);
            for (int group = 0; group < g.Groups; group++)
            {
                FillColumns(g, input, inputOffset, first, count, group, columns);
                GemmBFloat16.GemmWidenedA(groupOut, width, rows,
                    weight, weightOffset + group * groupOut * rows, rows, 1,
                    columns, 0, width, 1,
                    products, 0, width);
                // Bias, ReLU and the one rounding, image by image, straight into the output.
                for (int o = 0; o < groupOut; o++)
                {
                    int channel = group * groupOut + o;
                    float? channelBias = bias is null ? null : DTypeConversion.FromBFloat16(bias[biasOffset + channel]);
                    var sums = products.AsSpan(o * width, width);
                    AddBiasRelu(sums, channelBias, relu);
                    if (pool is { } fusion)
                    {
                        PoolRounded(fusion, first, count, channel, products, o * width);
                        continue;
                    }
                    for (int b = 0; b < count; b++)
                    {
                        DTypeConversion.ToBFloat16(sums.Slice(b * plane, plane),
                            output.AsSpan(outputOffset + (first + b) * g.OutImage + channel * plane, plane));
                    }
                }
            }
        }

        // One channel's products of the chunk (bias and ReLU applied), rounded to BFloat16 values and then max-pooled
        // plane by plane: the pool the unfused op takes of the rounded output, so the maxima and their argmax are its.
        private void PoolRounded(in MaxPoolFusion fusion, int first, int count, int channel, float[] products, int at)
        {
            int width = count * g.OutPlane, pooledPlane = fusion.Geometry.OutPlane;
            var sums = products.AsSpan(at, width);
            ushort[] rounded = ConvolutionBuffers.Rounded(width);
            DTypeConversion.ToBFloat16(sums, rounded.AsSpan(0, width));
            DTypeConversion.FromBFloat16(rounded.AsSpan(0, width), sums);
            float[] pooled = ConvolutionBuffers.Pooled(count * pooledPlane);
            int[] argmax = ConvolutionBuffers.PooledIndices(count * pooledPlane);
            MaxPoolKernel.ForwardPlanes(fusion.Geometry, 0, count, products, at, pooled, 0, argmax, 0);
            for (int b = 0; b < count; b++)
            {
                int target = ((first + b) * g.OutChannels + channel) * pooledPlane;
                DTypeConversion.ToBFloat16(pooled.AsSpan(b * pooledPlane, pooledPlane), output.AsSpan(outputOffset + target, pooledPlane));
                argmax.AsSpan(b * pooledPlane, pooledPlane).CopyTo(fusion.Indices.AsSpan(fusion.IndicesOffset + target, pooledPlane));
            }
        }
    }

    private readonly struct BackwardBFloat16Body(Conv2dGeometry g, int chunks,
        ushort[] input, int inputOffset, ushort[] weight, int weightOffset,
        ushort[] gradOutput, int gradOutputOffset, ushort[]? reluOutput, int reluOutputOffset, MaxPoolFusion? pool,
        ushort[]? gradInput, int gradInputOffset, ushort[]? gradInputBias, int gradInputBiasOffset,
        bool wantWeight, bool wantBias, float[] partials, int partialStride) : IParallelBody
    {
        public void Invoke(int chunk)
        {
            var (first, count) = ChunkImages(g, chunk, chunks);
            int rows = g.ColumnRows, plane = g.OutPlane, groupOut = g.GroupOutChannels, width = count * plane;
            float[] gradCat = GatherGradOutput(first, count);
            float[] columns = wantWeight ? ConvolutionBuffers.Columns(rows * width) : [];
            float[] gradColumns = gradInput is not null ? ConvolutionBuffers.GradColumns(rows * width) : [];
            // The chunk's float32 input gradient, before its one rounding.
            float[] images = gradInput is not null ? ConvolutionBuffers.InputGradients(count * g.InImage) : [];
            int weightPartial = chunk * partialStride;
            if (gradInput is not null)
                images.AsSpan(0, count * g.InImage).Clear();

            for (int group = 0; group < g.Groups; group++)
            {
                int groupGrad = group * groupOut * width;
                if (wantWeight)
                {
                    FillColumns(g, input, inputOffset, first, count, group, columns);
                    WeightProduct(groupOut, rows, width, gradCat, groupGrad, columns,
                        partials, weightPartial + group * groupOut * rows);
                }
                if (gradInput is not null)
                {
                    GemmBFloat16.GemmWidenedA(rows, width, groupOut,
                        weight, weightOffset + group * groupOut * rows, 1, rows,
                        gradCat, groupGrad, width, 1,
                        gradColumns, 0, width);
                    for (int b = 0; b < count; b++)
                        Im2Col.Accumulate(g, gradColumns, b * plane, width, g.GroupInChannels, images, b * g.InImage + group * g.GroupInChannels * g.InPlane);
                }
            }

            if (gradInput is not null)
            {
                for (int b = 0; b < count; b++)
                {
                    for (int c = 0; c < g.InChannels; c++)
                    {
                        var values = images.AsSpan(b * g.InImage + c * g.InPlane, g.InPlane);
                        if (gradInputBias is not null)
                            TensorPrimitives.Add(values, DTypeConversion.FromBFloat16(gradInputBias[gradInputBiasOffset + c]), values);
                        DTypeConversion.ToBFloat16(values, gradInput.AsSpan(gradInputOffset + (first + b) * g.InImage + c * g.InPlane, g.InPlane));
                    }
                }
            }

            if (wantBias)
            {
                int biasPartial = weightPartial + g.WeightCount;
                for (int o = 0; o < g.OutChannels; o++)
                    partials[biasPartial + o] = TensorPrimitives.Sum(gradCat.AsSpan(o * width, width));
            }
        }

        // gradCat[o, b·plane + l] = gradOutput[first + b, o, l] widened, zero where a fused ReLU's output was not positive.
        private float[] GatherGradOutput(int first, int count)
        {
            int plane = g.OutPlane, width = count * plane;
            float[] gradCat = ConvolutionBuffers.GradOutputs(g.OutChannels * width);
            if (pool is { } fusion)
            {
                GatherThroughPool(fusion, first, count, gradCat);
                return gradCat;
            }
            for (int b = 0; b < count; b++)
            {
                for (int o = 0; o < g.OutChannels; o++)
                {
                    int at = (first + b) * g.OutImage + o * plane;
                    var source = gradOutput.AsSpan(gradOutputOffset + at, plane);
                    var target = gradCat.AsSpan(o * width + b * plane, plane);
                    if (reluOutput is null)
                        DTypeConversion.FromBFloat16(source, target);
                    else
                        ReluBackwardWidened(source, reluOutput.AsSpan(reluOutputOffset + at, plane), target);
                }
            }
            return gradCat;
        }

        // Max pool's backward then ReLU's: each pooled gradient (widened) goes to its window's argmax unless the pooled
        // value is not positive. Windows do not overlap (the caller's condition), so no position receives two gradients
        // and the sums the unfused ops would round are single values.
        private void GatherThroughPool(in MaxPoolFusion fusion, int first, int count, float[] gradCat)
        {
            int plane = g.OutPlane, width = count * plane, pooledPlane = fusion.Geometry.OutPlane;
            gradCat.AsSpan(0, g.OutChannels * width).Clear();
            for (int b = 0; b < count; b++)
            {
                for (int o = 0; o < g.OutChannels; o++)
                {
                    int at = ((first + b) * g.OutChannels + o) * pooledPlane;
                    var gradient = gradOutput.AsSpan(gradOutputOffset + at, pooledPlane);
                    var argmax = fusion.Indices.AsSpan(fusion.IndicesOffset + at, pooledPlane);
                    var values = reluOutput is null ? default : reluOutput.AsSpan(reluOutputOffset + at, pooledPlane);
                    var target = gradCat.AsSpan(o * width + b * plane, plane);
                    for (int q = 0; q < pooledPlane; q++)
                    {
                        if (reluOutput is null || !(DTypeConversion.FromBFloat16(values[q]) <= 0f))
                            target[argmax[q]] += DTypeConversion.FromBFloat16(gradient[q]);
                    }
                }
            }
        }
    }

    // destination = widen(y) <= 0 ? 0 : widen(g) (threshold_backward, as ElementwiseGradient.ReluBackward on widened operands).
    private static void ReluBackwardWidened(ReadOnlySpan<ushort> grad, ReadOnlySpan<ushort> result, Span<float> destination)
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
}
