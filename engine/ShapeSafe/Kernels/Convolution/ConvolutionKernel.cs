using System.Numerics.Tensors;
using ShapeSafe.Kernels.Gemm;
using ShapeSafe.Kernels.Parallel;

namespace ShapeSafe.Kernels.Convolution;

/// <summary>
/// 2-D convolution (cross-correlation, as PyTorch's <c>conv2d</c>) forward and backward on contiguous
/// NCHW float arrays, by im2col + GEMM per image and group. Written here because TensorPrimitives has
/// no convolution. These are plain kernels: eager autograd and generated graphs both call them.
/// </summary>
/// <remarks>
/// <para>Forward, per image n and group: output[n] = weight [O, C·kH·kW] × columns(input[n]) [C·kH·kW, OH·OW],
/// with the bias (one per output channel, so per row of the product) and a fused ReLU added in the GEMM's epilogue. Images are split across the worker pool (each with its own column
/// buffer); a batch too small to split leaves the threads to the GEMM instead.</para>
/// <para>Backward: gradInput[n] = col2im(weightᵀ × gradOutput[n]); gradWeight = Σₙ gradOutput[n] × columns(input[n])ᵀ;
/// gradBias = Σ over n, OH, OW of gradOutput. The batch is cut into a number of chunks that depends only
/// on the shapes; each chunk sums its images into its own partial, and the partials are added in chunk
/// order, so every result is bitwise the same for any thread count.</para>
/// </remarks>
internal static class ConvolutionKernel
{
    // At most this many partial weight gradients (one per chunk of the batch) ...
    private const int MaxChunks = 16;

    // ... and at most this many floats for all of them together; a huge weight gets fewer chunks.
    private const int PartialBudget = 4 << 20;

    /// <summary>
    /// output = conv2d(input, weight) + bias, then ReLU when <paramref name="relu"/> (applied in the GEMM's epilogue
    /// with the bias: a fused conv + ReLU). <paramref name="bias"/> may be null (no bias); the output is
    /// overwritten. Arrays hold contiguous tensors starting at their offsets.
    /// </summary>
    public static void Forward(in Conv2dGeometry g,
        float[] input, int inputOffset, float[] weight, int weightOffset, float[]? bias, int biasOffset,
        float[] output, int outputOffset, bool relu = false)
    {
        if (g.Batch == 0 || g.OutImage == 0)
            return;
        var body = new ForwardBody(g, input, inputOffset, weight, weightOffset, bias, biasOffset, output, outputOffset, relu);
        if (SplitBatch(g))
        {
            ParallelRuntime.For(g.Batch, ref body);
        }
        else
        {
            for (int n = 0; n < g.Batch; n++)
                body.Invoke(n);
        }
    }

    /// <summary>
    /// The gradients of <see cref="Forward"/> for the given <paramref name="gradOutput"/>: each non-null target
    /// (<paramref name="gradInput"/> [N, C, H, W], <paramref name="gradWeight"/> [O, C/groups, kH, kW],
    /// <paramref name="gradBias"/> [O]) is overwritten. <paramref name="input"/> is read only for the weight
    /// gradient and <paramref name="weight"/> only for the input gradient.
    /// </summary>
    public static void Backward(in Conv2dGeometry g,
        float[] input, int inputOffset, float[] weight, int weightOffset,
        float[] gradOutput, int gradOutputOffset,
        float[]? gradInput, int gradInputOffset,
        float[]? gradWeight, int gradWeightOffset,
        float[]? gradBias, int gradBiasOffset)
    {
        if (g.Batch == 0 || g.OutImage == 0)
        {
            // Nothing flows back: every gradient is zero.
            gradInput?.AsSpan(gradInputOffset, g.Batch * g.InImage).Clear();
            gradWeight?.AsSpan(gradWeightOffset, g.WeightCount).Clear();
            gradBias?.AsSpan(gradBiasOffset, g.OutChannels).Clear();
            return;
        }
        bool reduces = gradWeight is not null || gradBias is not null;
        if (gradInput is null && !reduces)
            return;

        int chunks = reduces ? ChunkCount(g) : g.Batch;
        int partialStride = reduces ? g.WeightCount + g.OutChannels : 0;
        float[] partials = reduces ? ConvolutionBuffers.Partials(chunks * partialStride) : [];
        var body = new BackwardBody(g, chunks, input, inputOffset, weight, weightOffset, gradOutput, gradOutputOffset,
            gradInput, gradInputOffset, gradWeight is not null, gradBias is not null, partials, partialStride);
        if (SplitBatch(g))
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

        // Fixed-order reduction of the chunk partials.
        if (gradWeight is not null)
            SumChunks(partials, 0, partialStride, chunks, gradWeight.AsSpan(gradWeightOffset, g.WeightCount));
        if (gradBias is not null)
            SumChunks(partials, g.WeightCount, partialStride, chunks, gradBias.AsSpan(gradBiasOffset, g.OutChannels));
    }

    /// <summary>gradInput = ∂(Σ gradOutput · conv2d(input, weight)) / ∂input; overwritten.</summary>
    public static void BackwardInput(in Conv2dGeometry g, float[] weight, int weightOffset,
        float[] gradOutput, int gradOutputOffset, float[] gradInput, int gradInputOffset)
        => Backward(g, [], 0, weight, weightOffset, gradOutput, gradOutputOffset, gradInput, gradInputOffset, null, 0, null, 0);

    /// <summary>gradWeight = Σₙ gradOutput[n] × columns(input[n])ᵀ; overwritten.</summary>
    public static void BackwardWeight(in Conv2dGeometry g, float[] input, int inputOffset,
        float[] gradOutput, int gradOutputOffset, float[] gradWeight, int gradWeightOffset)
        => Backward(g, input, inputOffset, [], 0, gradOutput, gradOutputOffset, null, 0, gradWeight, gradWeightOffset, null, 0);

    /// <summary>gradBias[o] = Σ over n, oh, ow of gradOutput[n, o, oh, ow]; overwritten.</summary>
    public static void BackwardBias(in Conv2dGeometry g, float[] gradOutput, int gradOutputOffset, float[] gradBias, int gradBiasOffset)
        => Backward(g, [], 0, [], 0, gradOutput, gradOutputOffset, null, 0, null, 0, gradBias, gradBiasOffset);

    /// <summary>
    /// How many chunks the backward cuts the batch into: a function of the shapes alone (never of the
    /// thread count), which is what makes the weight-gradient sum reproducible.
    /// </summary>
    internal static int ChunkCount(in Conv2dGeometry g)
    {
        int byBudget = Math.Max(1, PartialBudget / Math.Max(1, g.WeightCount + g.OutChannels));
        return Math.Max(1, Math.Min(g.Batch, Math.Min(MaxChunks, byBudget)));
    }

    // Split images across threads when there is enough work, unless the batch is smaller than the pool
    // and each image's product is big enough for the GEMM to use the threads itself.
    private static bool SplitBatch(in Conv2dGeometry g)
    {
        int threads = ParallelRuntime.NumThreads;
        if (g.Batch < 2 || threads < 2 || ParallelRuntime.IsInsideParallelLoop)
            return false;
        long total = g.MultiplyAdds;
        long perImage = total / g.Batch;
        return total >= GemmKernel.ParallelProductLimit
            && (g.Batch >= threads || perImage < GemmKernel.ParallelProductLimit);
    }

    // Weight gradients with at most this many elements per group are built from dot products: a
    // [16, 9] result (the first layer of a small CNN) is mostly padding in GEMM tiles. Measured at
    // batch 64: conv 1→16 3×3 on 28×28 backward 2.3 ms by GEMM, 0.7 ms by dots; conv 16→32
    // ([32, 144]) 4.0 ms by GEMM, 5.4 ms by dots.
    private const int DotProductLimit = 1024;

    // target[o, r] = beta · target[o, r] + Σ_l gradOutput[o, l] · columns[r, l], both operands read along
    // contiguous rows of length `plane`.
    private static void WeightProduct(int outs, int rows, int plane, float[] gradOutput, int gradOutputOffset,
        float[] columns, int columnsOffset, float beta, float[] target, int targetOffset)
    {
        if ((long)outs * rows <= DotProductLimit)
        {
            for (int o = 0; o < outs; o++)
            {
                var g = gradOutput.AsSpan(gradOutputOffset + o * plane, plane);
                for (int r = 0; r < rows; r++)
                {
                    float dot = TensorPrimitives.Dot(g, columns.AsSpan(columnsOffset + r * plane, plane));
                    ref float t = ref target[targetOffset + o * rows + r];
                    t = beta == 0f ? dot : t + dot;
                }
            }
            return;
        }
        GemmKernel.Sgemm(outs, rows, plane, 1f,
            gradOutput, gradOutputOffset, plane, 1,
            columns, columnsOffset, 1, plane,
            beta, target, targetOffset, rows, 1);
    }

    private static void SumChunks(float[] partials, int start, int stride, int chunks, Span<float> target)
    {
        partials.AsSpan(start, target.Length).CopyTo(target);
        for (int c = 1; c < chunks; c++)
            TensorPrimitives.Add(target, partials.AsSpan(start + c * stride, target.Length), target);
    }

    private readonly struct ForwardBody(Conv2dGeometry g,
        float[] input, int inputOffset, float[] weight, int weightOffset, float[]? bias, int biasOffset,
        float[] output, int outputOffset, bool relu) : IParallelBody
    {
        public void Invoke(int n)
        {
            int rows = g.ColumnRows, plane = g.OutPlane, groupOut = g.GroupOutChannels;
            float[] columns = g.IsPointwise ? input : ConvolutionBuffers.Columns(rows * plane);
            int outImage = outputOffset + n * g.OutImage;
            for (int group = 0; group < g.Groups; group++)
            {
                int groupInput = inputOffset + n * g.InImage + group * g.GroupInChannels * g.InPlane;
                int columnsOffset = groupInput;
                if (!g.IsPointwise)
                {
                    Im2Col.Fill(g, input, groupInput, g.GroupInChannels, columns);
                    columnsOffset = 0;
                }
                // Output channel o of the group is row o of the product: the bias runs down the rows.
                var epilogue = new GemmEpilogue
                {
                    BiasAlong = bias is null ? GemmBias.None : GemmBias.PerRow,
                    Bias = bias,
                    BiasOffset = bias is null ? 0 : biasOffset + group * groupOut,
                    Activation = relu ? GemmActivation.Relu : GemmActivation.None,
                };
                GemmKernel.Sgemm(groupOut, plane, rows, 1f,
                    weight, weightOffset + group * groupOut * rows, rows, 1,
                    columns, columnsOffset, plane, 1,
                    0f, output, outImage + group * groupOut * plane, plane, 1, epilogue);
            }
        }
    }

    private readonly struct BackwardBody(Conv2dGeometry g, int chunks,
        float[] input, int inputOffset, float[] weight, int weightOffset,
        float[] gradOutput, int gradOutputOffset,
        float[]? gradInput, int gradInputOffset,
        bool wantWeight, bool wantBias, float[] partials, int partialStride) : IParallelBody
    {
        public void Invoke(int chunk)
        {
            int first = (int)((long)chunk * g.Batch / chunks);
            int end = (int)((long)(chunk + 1) * g.Batch / chunks);
            int rows = g.ColumnRows, plane = g.OutPlane, groupOut = g.GroupOutChannels, groupIn = g.GroupInChannels;
            float[] columns = wantWeight && !g.IsPointwise ? ConvolutionBuffers.Columns(rows * plane) : input;
            float[] gradColumns = gradInput is not null && !g.IsPointwise ? ConvolutionBuffers.GradColumns(rows * plane) : [];
            int weightPartial = chunk * partialStride;
            int biasPartial = weightPartial + g.WeightCount;

            for (int n = first; n < end; n++)
            {
                float beta = n == first ? 0f : 1f;
                int outImage = gradOutputOffset + n * g.OutImage;
                if (gradInput is not null)
                    gradInput.AsSpan(gradInputOffset + n * g.InImage, g.InImage).Clear();

                for (int group = 0; group < g.Groups; group++)
                {
                    int groupGradOut = outImage + group * groupOut * plane;
                    int groupChannels = n * g.InImage + group * groupIn * g.InPlane;
                    if (wantWeight)
                    {
                        // partial[o, r] (+)= Σ_l gradOutput[o, l] · columns[r, l]
                        int columnsOffset = inputOffset + groupChannels;
                        if (!g.IsPointwise)
                        {
                            Im2Col.Fill(g, input, columnsOffset, groupIn, columns);
                            columnsOffset = 0;
                        }
                        WeightProduct(groupOut, rows, plane, gradOutput, groupGradOut, columns, columnsOffset,
                            beta, partials, weightPartial + group * groupOut * rows);
                    }
                    if (gradInput is not null)
                    {
                        // gradColumns[r, l] = Σ_o weight[o, r] · gradOutput[o, l], then col2im.
                        int groupWeight = weightOffset + group * groupOut * rows;
                        if (g.IsPointwise)
                        {
                            GemmKernel.Sgemm(rows, plane, groupOut, 1f,
                                weight, groupWeight, 1, rows,
                                gradOutput, groupGradOut, plane, 1,
                                0f, gradInput, gradInputOffset + groupChannels, plane, 1);
                        }
                        else
                        {
                            GemmKernel.Sgemm(rows, plane, groupOut, 1f,
                                weight, groupWeight, 1, rows,
                                gradOutput, groupGradOut, plane, 1,
                                0f, gradColumns, 0, plane, 1);
                            Im2Col.Accumulate(g, gradColumns, groupIn, gradInput, gradInputOffset + groupChannels);
                        }
                    }
                }

                if (wantBias)
                {
                    for (int o = 0; o < g.OutChannels; o++)
                    {
                        float sum = TensorPrimitives.Sum(gradOutput.AsSpan(outImage + o * plane, plane));
                        partials[biasPartial + o] = n == first ? sum : partials[biasPartial + o] + sum;
                    }
                }
            }
        }
    }
}
