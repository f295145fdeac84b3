using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace ShapeSafe.Kernels.Convolution;

// The forward of a layer with few input taps (the first layer of an image network: one or three channels, 3×3 or
// 5×5), convolved directly instead of by im2col + GEMM. With C·kH·kW at most DirectColumnRows, the column matrix is
// a few rows of a product far too thin for the GEMM: the CNN's first layer (1 channel, 3×3, 16 outputs) ran at 15
// GFLOP/s, most of it writing and re-reading the columns. The direct loop reads each input row once per tap for
// eight output channels at a time and keeps the sums in registers.
//
// Each output element is the sum the GEMM makes, in its order: an accumulator starting at +0, one fused multiply-add
// per tap in the column matrix's row order (channel, kernel row, kernel column), padding read as zeros; then the
// bias added and the ReLU applied as the GEMM's epilogue does. The products are therefore bit for bit those of
// im2col + GEMM (ConvolutionDirectTests compares the two), and everything after them (the copy to the output, a
// fused pool, the backward) is unchanged.
internal static unsafe partial class ConvolutionKernel
{
    /// <summary>Layers with at most this many taps (C·kH·kW) per output are convolved directly when <see cref="UsesDirect"/> allows.</summary>
    internal const int DirectColumnRows = 32;

    // Output channels summed together: each input vector loaded feeds this many accumulators.
    private const int DirectChannelBlock = 8;

    /// <summary>Tests and benchmarks turn this off to run the im2col + GEMM path the direct loop stands in for.</summary>
    internal static bool DirectEnabled { get; set; } = true;

    /// <summary>
    /// Whether <paramref name="g"/>'s forward products are made by the direct loop: stride and dilation 1, one group,
    /// at most <see cref="DirectColumnRows"/> taps, and a product the GEMM would sum tap by tap from zero (at least two
    /// output channels and two output positions per image; one row or one column takes other GEMM loops).
    /// </summary>
    internal static bool UsesDirect(in Conv2dGeometry g) =>
        DirectEnabled && Avx512F.IsSupported
        && g.Groups == 1 && g.StrideHeight == 1 && g.StrideWidth == 1 && g.DilationHeight == 1 && g.DilationWidth == 1
        && g.ColumnRows <= DirectColumnRows && g.OutChannels >= 2 && g.OutPlane >= 2;

    /// <summary>
    /// products[o, b·OH·OW + oh·OW + ow] (rows <paramref name="rowStride"/> floats apart from <paramref name="productsOffset"/>)
    /// = act(Σ taps weight·input + bias[o]) for the <paramref name="count"/> images from <paramref name="first"/> on:
    /// what <c>FillColumns</c> and the GEMM with its epilogue write for a chunk, bit for bit.
    /// </summary>
    private static void DirectProducts(in Conv2dGeometry g, float[] input, int inputOffset, int first, int count,
        float[] weight, int weightOffset, float[]? bias, int biasOffset, bool relu, float[] products, int productsOffset, int rowStride)
    {
        int paddedHeight = g.InHeight + 2 * g.PadHeight;
        // Every vector of a row reads 16 floats from its first tap on, so the padded row is wide enough for the last one.
        int vectors = (g.OutWidth + 15) / 16;
        int paddedWidth = Math.Max(g.InWidth + 2 * g.PadWidth, vectors * 16 + g.KernelWidth - 1);
        int paddedPlane = paddedHeight * paddedWidth;
        float[] padded = ConvolutionBuffers.Padded(g.InChannels * paddedPlane);
        padded.AsSpan(0, g.InChannels * paddedPlane).Clear();
        fixed (float* px = padded, pw = &weight[weightOffset], pp = products, pInput = input)
        {
            for (int b = 0; b < count; b++)
            {
                float* image = pInput + inputOffset + (long)(first + b) * g.InImage;
                for (int c = 0; c < g.InChannels; c++)
                    for (int h = 0; h < g.InHeight; h++)
                        new ReadOnlySpan<float>(image + (c * g.InHeight + h) * g.InWidth, g.InWidth)
                            .CopyTo(new Span<float>(px + c * paddedPlane + (h + g.PadHeight) * paddedWidth + g.PadWidth, g.InWidth));
                float* outImage = pp + productsOffset + (long)b * g.OutPlane;
                int o = 0;
                for (; o + DirectChannelBlock <= g.OutChannels; o += DirectChannelBlock)
                    DirectBlock8(g, px, paddedWidth, paddedPlane, pw, o, bias, biasOffset, relu, outImage, rowStride, vectors);
                for (; o < g.OutChannels; o++)
                    DirectChannel(g, px, paddedWidth, paddedPlane, pw, o, bias, biasOffset, relu, outImage, rowStride, vectors);
            }
        }
    }

    // Eight output channels from o on, every output row of one image.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    [SkipLocalsInit]
    private static void DirectBlock8(in Conv2dGeometry g, float* padded, int paddedWidth, int paddedPlane, float* weight, int o,
        float[]? bias, int biasOffset, bool relu, float* outImage, int rowStride, int vectors)
    {
        int taps = g.ColumnRows, kh = g.KernelHeight, kw = g.KernelWidth, channels = g.InChannels;
        int outHeight = g.OutHeight, outWidth = g.OutWidth, plane = g.OutPlane;
        float* w0 = weight + o * taps;
        float* lanes = stackalloc float[16];
        for (int oh = 0; oh < outHeight; oh++)
        {
            for (int v = 0; v < vectors; v++)
            {
                int ow = v * 16;
                // A vector past the row's end spills into the rows below, which are written after it; a vector that
                // would spill past the image's plane stores only its row's lanes.
                int width = oh * outWidth + ow + 16 <= plane ? 16 : Math.Min(16, outWidth - ow);
                var a0 = Vector512<float>.Zero; var a1 = Vector512<float>.Zero; var a2 = Vector512<float>.Zero; var a3 = Vector512<float>.Zero;
                var a4 = Vector512<float>.Zero; var a5 = Vector512<float>.Zero; var a6 = Vector512<float>.Zero; var a7 = Vector512<float>.Zero;
                int p = 0;
                for (int c = 0; c < channels; c++)
                {
                    for (int i = 0; i < kh; i++)
                    {
                        float* row = padded + c * paddedPlane + (oh + i) * paddedWidth + ow;
                        for (int j = 0; j < kw; j++, p++)
                        {
                            var x = Vector512.Load(row + j);
                            float* w = w0 + p;
                            a0 = Avx512F.FusedMultiplyAdd(Vector512.Create(w[0]), x, a0);
                            a1 = Avx512F.FusedMultiplyAdd(Vector512.Create(w[taps]), x, a1);
                            a2 = Avx512F.FusedMultiplyAdd(Vector512.Create(w[2 * taps]), x, a2);
                            a3 = Avx512F.FusedMultiplyAdd(Vector512.Create(w[3 * taps]), x, a3);
                            a4 = Avx512F.FusedMultiplyAdd(Vector512.Create(w[4 * taps]), x, a4);
                            a5 = Avx512F.FusedMultiplyAdd(Vector512.Create(w[5 * taps]), x, a5);
                            a6 = Avx512F.FusedMultiplyAdd(Vector512.Create(w[6 * taps]), x, a6);
                            a7 = Avx512F.FusedMultiplyAdd(Vector512.Create(w[7 * taps]), x, a7);
                        }
                    }
                }
                float* target = outImage + (long)o * rowStride + oh * outWidth + ow;
                StoreDirect(a0, bias, biasOffset + o, relu, target, width, lanes);
                StoreDirect(a1, bias, biasOffset + o + 1, relu, target + rowStride, width, lanes);
                StoreDirect(a2, bias, biasOffset + o + 2, relu, target + 2 * rowStride, width, lanes);
                StoreDirect(a3, bias, biasOffset + o + 3, relu, target + 3 * rowStride, width, lanes);
                StoreDirect(a4, bias, biasOffset + o + 4, relu, target + 4 * rowStride, width, lanes);
                StoreDirect(a5, bias, biasOffset + o + 5, relu, target + 5 * rowStride, width, lanes);
                StoreDirect(a6, bias, biasOffset + o + 6, relu, target + 6 * rowStride, width, lanes);
                StoreDirect(a7, bias, biasOffset + o + 7, relu, target + 7 * rowStride, width, lanes);
            }
        }
    }

    // One output channel, for the channels past the last block of eight.
    [SkipLocalsInit]
    private static void DirectChannel(in Conv2dGeometry g, float* padded, int paddedWidth, int paddedPlane, float* weight, int o,
        float[]? bias, int biasOffset, bool relu, float* outImage, int rowStride, int vectors)
    {
        int taps = g.ColumnRows, kh = g.KernelHeight, kw = g.KernelWidth, channels = g.InChannels;
        int outHeight = g.OutHeight, outWidth = g.OutWidth, plane = g.OutPlane;
        float* w0 = weight + o * taps;
        float* lanes = stackalloc float[16];
        for (int oh = 0; oh < outHeight; oh++)
        {
            for (int v = 0; v < vectors; v++)
            {
                int ow = v * 16;
                // A vector past the row's end spills into the rows below, which are written after it; a vector that
                // would spill past the image's plane stores only its row's lanes.
                int width = oh * outWidth + ow + 16 <= plane ? 16 : Math.Min(16, outWidth - ow);
                var acc = Vector512<float>.Zero;
                int p = 0;
                for (int c = 0; c < channels; c++)
                    for (int i = 0; i < kh; i++)
                    {
                        float* row = padded + c * paddedPlane + (oh + i) * paddedWidth + ow;
                        for (int j = 0; j < kw; j++, p++)
                            acc = Avx512F.FusedMultiplyAdd(Vector512.Create(w0[p]), Vector512.Load(row + j), acc);
                    }
                StoreDirect(acc, bias, biasOffset + o, relu, outImage + (long)o * rowStride + oh * outWidth + ow, width, lanes);
            }
        }
    }

    // The GEMM epilogue on one vector of sums (alpha is 1, so the product is the sum): the bias when there is one
    // (adding a zero would turn -0 into +0), then the ReLU; the first `width` lanes are stored (through `lanes`, 16
    // floats of scratch, when they are fewer than 16).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreDirect(Vector512<float> sum, float[]? bias, int biasAt, bool relu, float* target, int width, float* lanes)
    {
        if (bias is not null)
            sum += Vector512.Create(bias[biasAt]);
        if (relu)
            sum = Vector512.Max(sum, Vector512<float>.Zero);
        if (width == 16)
        {
            Vector512.Store(sum, target);
            return;
        }
        Vector512.Store(sum, lanes);
        for (int i = 0; i < width; i++)
            target[i] = lanes[i];
    }
}
