using System.Numerics.Tensors;
using ShapeSafe.Gradients;
using ShapeSafe.Kernels.Gemm;
using ShapeSafe.Kernels.Parallel;
using ShapeSafe.Kernels.Pooling;

namespace ShapeSafe.Kernels.Convolution;

/// <summary>
/// 2-D convolution (cross-correlation, as PyTorch's <c>conv2d</c>) forward and backward on contiguous
/// NCHW float arrays, by im2col + GEMM over chunks of the batch. Written here because TensorPrimitives has
/// no convolution. These are plain kernels: eager autograd and generated graphs both call them.
/// </summary>
/// <remarks>
/// <para>The batch is cut into chunks of a few images, as many as keep one group's column matrix near
/// <see cref="ChunkColumnBudget"/> floats (in L2). A chunk's images sit side by side in one column matrix
/// [C·kH·kW, images·OH·OW], so each product is one GEMM wide enough to run at full speed (one image of a
/// small CNN layer is a [32, 144] × [144, 196] product, mostly tile edges).</para>
/// <para>Forward, per chunk and group: products = weight [O, C·kH·kW] × columns, with the bias (one per output
/// channel, so per row) and a fused ReLU applied in the GEMM's epilogue; then each image's rows are copied to the
/// output, or max-pooled into it when a pool is fused.</para>
/// <para>Backward, per chunk: the output gradient of the chunk's images is gathered side by side into
/// [O, images·OH·OW] (masked by the ReLU when the forward fused one); then gradWeight partial = that × columnsᵀ,
/// gradBias partial = its row sums, and gradInput = col2im(weightᵀ × that). The chunks depend only on the
/// shapes and their partials are added in chunk order, so every result is bitwise the same for any thread count.</para>
/// </remarks>
internal static partial class ConvolutionKernel
{
    // One group's column matrix for a chunk is kept near this many floats (512 KiB: a Zen 4 core's L2 holds it
    // beside the GEMM's packed blocks). Measured on the CNN's layers, 64K..256K floats are within 5%.
    internal const int ChunkColumnBudget = 128 * 1024;

    // All the chunks' partial weight gradients together stay under this many floats; a huge weight gets fewer chunks.
    private const int PartialBudget = 4 << 20;

    // An image whose column matrix would exceed this many floats (64 MiB) is cut into bands of output rows, each band's
    // column matrix near BandColumnBudget floats (16 MiB): a [1, 64, 2000, 2000] input would otherwise need 9 GB of
    // columns, more than an array holds. Every layer of the benchmarked models is far below the threshold and runs as before.
    internal const long BandThreshold = 1L << 24;
    private const long BandColumnBudget = 1L << 22;

    /// <summary>
    /// output = conv2d(input, weight) + bias, then ReLU when <paramref name="relu"/> (applied in the GEMM's epilogue
    /// with the bias: a fused conv + ReLU). <paramref name="bias"/> may be null (no bias); the output is
    /// overwritten. Arrays hold contiguous tensors starting at their offsets. With <paramref name="pool"/>, the result
    /// is max-pooled as it is made: <paramref name="output"/> receives the pooled tensor and the pool's indices
    /// their argmax, and the convolution's own output is never stored whole.
    /// </summary>
    public static void Forward(in Conv2dGeometry g,
        float[] input, int inputOffset, float[] weight, int weightOffset, float[]? bias, int biasOffset,
        float[] output, int outputOffset, bool relu = false, MaxPoolFusion? pool = null)
    {
        if (g.Batch == 0 || g.OutImage == 0)
            return;
        if (NeedsBands(g))
        {
            ForwardBanded(g, input, inputOffset, weight, weightOffset, bias, biasOffset, output, outputOffset, relu);
            return;
        }
        int chunks = ChunkCount(g);
        var body = new ForwardBody(g, chunks, input, inputOffset, weight, weightOffset, bias, biasOffset, output, outputOffset, relu, pool);
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
    /// The gradients of <see cref="Forward"/> for the given <paramref name="gradOutput"/>: each non-null target
    /// (<paramref name="gradInput"/> [N, C, H, W], <paramref name="gradWeight"/> [O, C/groups, kH, kW],
    /// <paramref name="gradBias"/> [O]) is overwritten. <paramref name="input"/> is read only for the weight
    /// gradient and <paramref name="weight"/> only for the input gradient. When the forward fused a ReLU, pass its
    /// output as <paramref name="reluOutput"/> (same layout as <paramref name="gradOutput"/>): the gradient is then
    /// taken as zero wherever that output is not positive, as ReLU's backward would, without a masked copy.
    /// When the forward fused a max pool (<paramref name="pool"/>, the same indices it wrote), <paramref name="gradOutput"/>
    /// and <paramref name="reluOutput"/> are the pooled gradient and values, routed back through the argmax.
    /// </summary>
    public static void Backward(in Conv2dGeometry g,
        float[] input, int inputOffset, float[] weight, int weightOffset,
        float[] gradOutput, int gradOutputOffset,
        float[]? gradInput, int gradInputOffset,
        float[]? gradWeight, int gradWeightOffset,
        float[]? gradBias, int gradBiasOffset,
        float[]? reluOutput = null, int reluOutputOffset = 0, MaxPoolFusion? pool = null)
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
        if (NeedsBands(g))
        {
            BackwardBanded(g, input, inputOffset, weight, weightOffset, gradOutput, gradOutputOffset, gradInput, gradInputOffset,
                gradWeight, gradWeightOffset, gradBias, gradBiasOffset, reluOutput, reluOutputOffset);
            return;
        }

        int chunks = ChunkCount(g);
        int partialStride = reduces ? g.WeightCount + g.OutChannels : 0;
        float[] partials = reduces ? ConvolutionBuffers.Partials(chunks * partialStride) : [];
        var body = new BackwardBody<float, Float32Operands>(g, chunks, input, inputOffset, weight, weightOffset, gradOutput, gradOutputOffset,
            reluOutput, reluOutputOffset, pool, gradInput, gradInputOffset, null, 0, gradWeight is not null, gradBias is not null,
            partials, partialStride);
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

        // Fixed-order reduction of the chunk partials.
        if (gradWeight is not null)
            SumChunks(partials, 0, partialStride, chunks, gradWeight.AsSpan(gradWeightOffset, g.WeightCount));
        if (gradBias is not null)
            SumChunks(partials, g.WeightCount, partialStride, chunks, gradBias.AsSpan(gradBiasOffset, g.OutChannels));
    }

    /// <summary>Whether one image's column matrix is too large to build whole (see <see cref="BandThreshold"/>); a fused max pool is then not supported.</summary>
    internal static bool NeedsBands(in Conv2dGeometry g) => (long)g.ColumnRows * g.OutPlane > BandThreshold;

    /// <summary>How many output rows a band holds: its column matrix stays near <see cref="BandColumnBudget"/> floats.</summary>
    internal static int BandRows(in Conv2dGeometry g)
    {
        long perRow = (long)g.ColumnRows * g.OutWidth;
        if (perRow > Array.MaxLength)
            throw new ShapeException("Conv2d", $"one output row's column matrix needs {perRow} floats ({g.ColumnRows} rows × {g.OutWidth} columns), more than an array holds; input [{g.Batch}, {g.InChannels}, {g.InHeight}, {g.InWidth}]");
        return (int)Math.Clamp(BandColumnBudget / perRow, 1, g.OutHeight);
    }

    /// <summary>
    /// Output rows [<paramref name="firstRow"/>, + <paramref name="rows"/>) of one image as a geometry of their own: the
    /// same input plane, read as if the padding above it were <paramref name="firstRow"/> strides smaller (so negative
    /// inside the image). Im2Col then reads exactly the input rows those outputs need.
    /// </summary>
    internal static Conv2dGeometry Band(in Conv2dGeometry g, int firstRow, int rows) =>
        g with { Batch = 1, OutHeight = rows, PadHeight = g.PadHeight - firstRow * g.StrideHeight };

    // Image by image and band by band; the GEMMs use the threads. Output rows of a band are contiguous in each channel's
    // plane, so the product is written straight into the output with the plane as its row stride.
    // bandRows: the tests' way to cut a small image into several bands.
    internal static void ForwardBanded(in Conv2dGeometry g, float[] input, int inputOffset, float[] weight, int weightOffset,
        float[]? bias, int biasOffset, float[] output, int outputOffset, bool relu, int? bandRows = null)
    {
        int rowsPerBand = bandRows ?? BandRows(g), rows = g.ColumnRows, groupOut = g.GroupOutChannels, plane = g.OutPlane;
        float[] columns = ConvolutionBuffers.Columns(rows * rowsPerBand * g.OutWidth);
        for (int n = 0; n < g.Batch; n++)
        {
            for (int oh = 0; oh < g.OutHeight; oh += rowsPerBand)
            {
                var band = Band(g, oh, Math.Min(rowsPerBand, g.OutHeight - oh));
                int width = band.OutPlane;
                for (int group = 0; group < g.Groups; group++)
                {
                    int image = inputOffset + n * g.InImage + group * g.GroupInChannels * g.InPlane;
                    Im2Col.Fill(band, input, image, g.GroupInChannels, columns, 0, width);
                    var epilogue = new GemmEpilogue
                    {
                        BiasAlong = bias is null ? GemmBias.None : GemmBias.PerRow,
                        Bias = bias,
                        BiasOffset = bias is null ? 0 : biasOffset + group * groupOut,
                        Activation = relu ? GemmActivation.Relu : GemmActivation.None,
                    };
                    GemmKernel.Sgemm(groupOut, width, rows, 1f,
                        weight, weightOffset + group * groupOut * rows, rows, 1,
                        columns, 0, width, 1,
                        0f, output, outputOffset + n * g.OutImage + group * groupOut * plane + oh * g.OutWidth, plane, 1, epilogue);
                }
            }
        }
    }

    // The banded backward, in a fixed order (so reproducible): per band, the output gradient's rows (masked by a fused
    // ReLU), the weight and bias gradients added up band by band, and col2im of the band onto the input gradient (bands
    // overlap in the input rows they read, which is why they run one after another).
    internal static void BackwardBanded(in Conv2dGeometry g, float[] input, int inputOffset, float[] weight, int weightOffset,
        float[] gradOutput, int gradOutputOffset, float[]? gradInput, int gradInputOffset,
        float[]? gradWeight, int gradWeightOffset, float[]? gradBias, int gradBiasOffset, float[]? reluOutput, int reluOutputOffset,
        int? bandRows = null)
    {
        int rowsPerBand = bandRows ?? BandRows(g), rows = g.ColumnRows, groupOut = g.GroupOutChannels, plane = g.OutPlane;
        int most = rows * rowsPerBand * g.OutWidth;
        float[] columns = gradWeight is not null ? ConvolutionBuffers.Columns(most) : [];
        float[] gradColumns = gradInput is not null ? ConvolutionBuffers.GradColumns(most) : [];
        float[] gradCat = ConvolutionBuffers.GradOutputs(g.OutChannels * rowsPerBand * g.OutWidth);
        float[] partial = gradWeight is not null ? ConvolutionBuffers.Partials(groupOut * rows) : [];
        gradInput?.AsSpan(gradInputOffset, g.Batch * g.InImage).Clear();
        gradWeight?.AsSpan(gradWeightOffset, g.WeightCount).Clear();
        gradBias?.AsSpan(gradBiasOffset, g.OutChannels).Clear();
        for (int n = 0; n < g.Batch; n++)
        {
            for (int oh = 0; oh < g.OutHeight; oh += rowsPerBand)
            {
                var band = Band(g, oh, Math.Min(rowsPerBand, g.OutHeight - oh));
                int width = band.OutPlane;
                for (int o = 0; o < g.OutChannels; o++)
                {
                    int at = n * g.OutImage + o * plane + oh * g.OutWidth;
                    var source = gradOutput.AsSpan(gradOutputOffset + at, width);
                    var target = gradCat.AsSpan(o * width, width);
                    if (reluOutput is null)
                        source.CopyTo(target);
                    else
                        ElementwiseGradient.ReluBackward(source, reluOutput.AsSpan(reluOutputOffset + at, width), target);
                    if (gradBias is not null)
                        gradBias[gradBiasOffset + o] += TensorPrimitives.Sum(target);
                }
                for (int group = 0; group < g.Groups; group++)
                {
                    int image = n * g.InImage + group * g.GroupInChannels * g.InPlane;
                    int groupGrad = group * groupOut * width;
                    if (gradWeight is not null)
                    {
                        Im2Col.Fill(band, input, inputOffset + image, g.GroupInChannels, columns, 0, width);
                        WeightProduct(groupOut, rows, width, gradCat, groupGrad, columns, partial, 0);
                        var sum = gradWeight.AsSpan(gradWeightOffset + group * groupOut * rows, groupOut * rows);
                        TensorPrimitives.Add(sum, partial.AsSpan(0, groupOut * rows), sum);
                    }
                    if (gradInput is not null)
                    {
                        GemmKernel.Sgemm(rows, width, groupOut, 1f,
                            weight, weightOffset + group * groupOut * rows, 1, rows,
                            gradCat, groupGrad, width, 1,
                            0f, gradColumns, 0, width, 1);
                        Im2Col.Accumulate(band, gradColumns, 0, width, g.GroupInChannels, gradInput, gradInputOffset + image);
                    }
                }
            }
        }
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
    /// How many chunks the batch is cut into (chunk c holds images [c·N/chunks, (c+1)·N/chunks)): a function of
    /// the shapes alone (never of the thread count), which is what makes the weight-gradient sum reproducible.
    /// </summary>
    internal static int ChunkCount(in Conv2dGeometry g)
    {
        long imageColumns = Math.Max(1L, (long)g.ColumnRows * g.OutPlane);
        int imagesPerChunk = (int)Math.Clamp(ChunkColumnBudget / imageColumns, 1, Math.Max(1, g.Batch));
        int chunks = (g.Batch + imagesPerChunk - 1) / imagesPerChunk;
        int byBudget = Math.Max(1, PartialBudget / Math.Max(1, g.WeightCount + g.OutChannels));
        return Math.Max(1, Math.Min(chunks, byBudget));
    }

    // Split chunks across threads when there is enough work; a single chunk leaves the threads to its GEMMs.
    private static bool SplitBatch(in Conv2dGeometry g, int chunks)
        => chunks >= 2 && ParallelRuntime.NumThreads >= 2 && !ParallelRuntime.IsInsideParallelLoop
            && g.MultiplyAdds >= GemmKernel.ParallelProductLimit;

    // Weight gradients with at most this many elements per group are built from dot products: a [16, 9]
    // result (the first layer of a small CNN) is mostly padding in GEMM tiles.
    private const int DotProductLimit = 1024;

    // target[o, r] = Σ_l gradOutput[o, l] · columns[r, l] over l < length, both operands rows `length` floats apart.
    private static void WeightProduct(int outs, int rows, int length, float[] gradOutput, int gradOutputOffset,
        float[] columns, float[] target, int targetOffset)
    {
        if ((long)outs * rows <= DotProductLimit)
        {
            for (int o = 0; o < outs; o++)
            {
                var g = gradOutput.AsSpan(gradOutputOffset + o * length, length);
                for (int r = 0; r < rows; r++)
                    target[targetOffset + o * rows + r] = TensorPrimitives.Dot(g, columns.AsSpan(r * length, length));
            }
            return;
        }
        GemmKernel.Sgemm(outs, rows, length, 1f,
            gradOutput, gradOutputOffset, length, 1,
            columns, 0, 1, length,
            0f, target, targetOffset, rows, 1);
    }

    private static void SumChunks(float[] partials, int start, int stride, int chunks, Span<float> target)
    {
        partials.AsSpan(start, target.Length).CopyTo(target);
        for (int c = 1; c < chunks; c++)
            TensorPrimitives.Add(target, partials.AsSpan(start + c * stride, target.Length), target);
    }

    /// <summary>The images [First, First + Count) of chunk <paramref name="chunk"/> of <paramref name="chunks"/>.</summary>
    private static (int First, int Count) ChunkImages(in Conv2dGeometry g, int chunk, int chunks)
    {
        int first = (int)((long)chunk * g.Batch / chunks);
        int end = (int)((long)(chunk + 1) * g.Batch / chunks);
        return (first, end - first);
    }

    // Writes the column matrices of `count` images from `first` on, channels of `group`, side by side.
    private static void FillColumns(in Conv2dGeometry g, float[] input, int inputOffset, int first, int count, int group, float[] columns)
    {
        int width = count * g.OutPlane;
        for (int b = 0; b < count; b++)
        {
            int image = inputOffset + (first + b) * g.InImage + group * g.GroupInChannels * g.InPlane;
            Im2Col.Fill(g, input, image, g.GroupInChannels, columns, b * g.OutPlane, width);
        }
    }

    private readonly struct ForwardBody(Conv2dGeometry g, int chunks,
        float[] input, int inputOffset, float[] weight, int weightOffset, float[]? bias, int biasOffset,
        float[] output, int outputOffset, bool relu, MaxPoolFusion? pool) : IParallelBody
    {
        public void Invoke(int chunk)
        {
            var (first, count) = ChunkImages(g, chunk, chunks);
            int rows = g.ColumnRows, plane = g.OutPlane, groupOut = g.GroupOutChannels, width = count * plane;
            float[] columns = UsesDirect(g) ? [] : ConvolutionBuffers.Columns(rows * width);
            // One image's product is its output already; several images' products (or pooled ones) go through a scratch matrix.
            bool direct = count == 1 && pool is null;
            float[] products = direct ? output : ConvolutionBuffers.Products(groupOut * width);
            for (int group = 0; group < g.Groups; group++)
            {
                int productsOffset = direct ? outputOffset + first * g.OutImage + group * groupOut * plane : 0;
                if (UsesDirect(g))
                {
                    // A first layer's few taps: the same products as below, without the column matrix (ConvolutionKernel.Direct.cs).
                    DirectProducts(g, input, inputOffset, first, count, weight, weightOffset, bias, biasOffset, relu, products, productsOffset, width);
                }
                else
                {
                    FillColumns(g, input, inputOffset, first, count, group, columns);
                    // Output channel o of the group is row o of the product: the GEMM's epilogue adds the bias down the
                    // rows and applies the ReLU to each tile while it is in cache.
                    var epilogue = new GemmEpilogue
                    {
                        BiasAlong = bias is null ? GemmBias.None : GemmBias.PerRow,
                        Bias = bias,
                        BiasOffset = bias is null ? 0 : biasOffset + group * groupOut,
                        Activation = relu ? GemmActivation.Relu : GemmActivation.None,
                    };
                    GemmKernel.Sgemm(groupOut, width, rows, 1f,
                        weight, weightOffset + group * groupOut * rows, rows, 1,
                        columns, 0, width, 1,
                        0f, products, productsOffset, width, 1, epilogue);
                }
                if (pool is { } fusion)
                {
                    PoolProducts(fusion, first, count, group, products);
                    continue;
                }
                if (direct)
                    continue;
                // Each image's rows of the chunk's products go to their place in the output.
                for (int b = 0; b < count; b++)
                {
                    for (int o = 0; o < groupOut; o++)
                    {
                        int channel = group * groupOut + o;
                        products.AsSpan(o * width + b * plane, plane)
                            .CopyTo(output.AsSpan(outputOffset + (first + b) * g.OutImage + channel * plane, plane));
                    }
                }
            }
        }

        // The max pool of a chunk's products (bias and ReLU already applied): each channel's row holds `count` planes
        // side by side, pooled into scratch, then each pooled plane and its argmax goes to its place.
        private void PoolProducts(in MaxPoolFusion fusion, int first, int count, int group, float[] products)
        {
            int width = count * g.OutPlane, pooledPlane = fusion.Geometry.OutPlane;
            float[] pooled = ConvolutionBuffers.Pooled(count * pooledPlane);
            int[] argmax = ConvolutionBuffers.PooledIndices(count * pooledPlane);
            for (int o = 0; o < g.GroupOutChannels; o++)
            {
                int channel = group * g.GroupOutChannels + o;
                MaxPoolKernel.ForwardPlanes(fusion.Geometry, 0, count, products, o * width, pooled, 0, argmax, 0);
                for (int b = 0; b < count; b++)
                {
                    int at = ((first + b) * g.OutChannels + channel) * pooledPlane;
                    pooled.AsSpan(b * pooledPlane, pooledPlane).CopyTo(output.AsSpan(outputOffset + at, pooledPlane));
                    argmax.AsSpan(b * pooledPlane, pooledPlane).CopyTo(fusion.Indices.AsSpan(fusion.IndicesOffset + at, pooledPlane));
                }
            }
        }
    }

    // One chunk of the backward for either element type (TOps says how operands are read into the float32 buffers and
    // where the input gradient is summed): the same buffers, GEMMs and sums, so BFloat16's float32 results before their
    // rounding are bitwise the float32 kernel's on the widened operands.
    private readonly struct BackwardBody<T, TOps>(Conv2dGeometry g, int chunks,
        T[] input, int inputOffset, T[] weight, int weightOffset,
        T[] gradOutput, int gradOutputOffset, T[]? reluOutput, int reluOutputOffset, MaxPoolFusion? pool,
        T[]? gradInput, int gradInputOffset, T[]? gradInputBias, int gradInputBiasOffset,
        bool wantWeight, bool wantBias, float[] partials, int partialStride) : IParallelBody
        where TOps : struct, IConvOperands<T>
    {
        public void Invoke(int chunk)
        {
            var (first, count) = ChunkImages(g, chunk, chunks);
            int rows = g.ColumnRows, plane = g.OutPlane, groupOut = g.GroupOutChannels, width = count * plane;
            float[] gradCat = GatherGradOutput(first, count);
            float[] columns = wantWeight ? ConvolutionBuffers.Columns(rows * width) : [];
            float[] gradColumns = gradInput is not null ? ConvolutionBuffers.GradColumns(rows * width) : [];
            int weightPartial = chunk * partialStride;
            // The chunk's float32 input gradient: the float32 gradient itself, or scratch rounded at the end.
            var (sums, sumsOffset) = gradInput is not null ? TOps.InputGradientSums(g, gradInput, gradInputOffset, first, count) : (Array.Empty<float>(), 0);

            for (int group = 0; group < g.Groups; group++)
            {
                int groupGrad = group * groupOut * width;
                if (wantWeight)
                {
                    // partial[o, r] = Σ_l gradCat[o, l] · columns[r, l]
                    for (int b = 0; b < count; b++)
                    {
                        int image = inputOffset + (first + b) * g.InImage + group * g.GroupInChannels * g.InPlane;
                        TOps.FillColumns(g, input, image, g.GroupInChannels, columns, b * plane, width);
                    }
                    WeightProduct(groupOut, rows, width, gradCat, groupGrad, columns,
                        partials, weightPartial + group * groupOut * rows);
                }
                if (gradInput is not null)
                {
                    // gradColumns[r, l] = Σ_o weight[o, r] · gradCat[o, l], then col2im image by image.
                    TOps.TransposedWeightProduct(rows, width, groupOut, weight, weightOffset + group * groupOut * rows,
                        gradCat, groupGrad, gradColumns);
                    for (int b = 0; b < count; b++)
                        Im2Col.Accumulate(g, gradColumns, b * plane, width, g.GroupInChannels, sums,
                            sumsOffset + b * g.InImage + group * g.GroupInChannels * g.InPlane);
                }
            }

            if (gradInput is not null)
                TOps.FinishInputGradient(g, sums, gradInput, gradInputOffset, gradInputBias, gradInputBiasOffset, first, count);

            if (wantBias)
            {
                int biasPartial = weightPartial + g.WeightCount;
                for (int o = 0; o < g.OutChannels; o++)
                    partials[biasPartial + o] = TensorPrimitives.Sum(gradCat.AsSpan(o * width, width));
            }
        }

        // gradCat[o, b·plane + l] = gradOutput[first + b, o, l] as float32, zero where a fused ReLU's output was not positive.
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
                        TOps.Widen(source, target);
                    else
                        TOps.ReluBackward(source, reluOutput.AsSpan(reluOutputOffset + at, plane), target);
                }
            }
            return gradCat;
        }

        // Max pool's backward then ReLU's: each pooled gradient goes to its window's argmax, unless the pooled value
        // (the ReLU's output there) is not positive. Windows do not overlap (the fusion's condition), so no position
        // receives two gradients.
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
                        if (reluOutput is null || !(TOps.Widen(values[q]) <= 0f))
                            target[argmax[q]] += TOps.Widen(gradient[q]);
                    }
                }
            }
        }
    }
}

/// <summary>
/// A max pool fused after a convolution (and its ReLU): the convolution's output is pooled chunk by chunk as it is
/// made and never stored whole.
/// </summary>
/// <param name="Geometry">The pool over the convolution's output [N, O, OH, OW].</param>
/// <param name="Indices">The argmax of every pooled output (a position within its OH·OW plane), laid out as the pooled
/// tensor [N, O, PH, PW] from <paramref name="IndicesOffset"/>: written by the forward, read by the backward.</param>
/// <param name="IndicesOffset">Where the indices start.</param>
internal readonly record struct MaxPoolFusion(Pool2dGeometry Geometry, int[] Indices, int IndicesOffset);
