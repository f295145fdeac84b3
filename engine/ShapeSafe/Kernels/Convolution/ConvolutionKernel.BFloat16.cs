using System.Numerics.Tensors;
using ShapeSafe.Kernels.Elementwise;
using ShapeSafe.Kernels.Gemm;
using ShapeSafe.Kernels.Parallel;
using ShapeSafe.Kernels.Pooling;

namespace ShapeSafe.Kernels.Convolution;

// BFloat16 convolutions as ATen's CPU kernels compute them: float32 sums, one rounding of each result. The operands are
// read as BFloat16 and widened where the float32 kernel copies them anyway: the input in im2col (Im2Col.Fill), the
// output gradient as it is gathered per chunk, the weight in the GEMM's packing (GemmBFloat16.GemmWidenedA). The
// chunks, GEMMs and sums are the float32 kernel's own, so each float32 result before its rounding is bitwise what
// Forward / Backward give on the widened operands; the backward's chunk loop is the float32 kernel's own loop
// (BackwardBody over BFloat16Operands). Geometries that need bands (NeedsBands) are not handled here.
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
        var body = new BackwardBody<ushort, BFloat16Operands>(g, chunks, input, inputOffset, weight, weightOffset, gradOutput, gradOutputOffset,
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
}
