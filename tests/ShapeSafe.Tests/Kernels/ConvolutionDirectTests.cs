using System.Runtime.Intrinsics.X86;
using ShapeSafe.Kernels.Convolution;
using ShapeSafe.Kernels.Pooling;

namespace ShapeSafe.Tests.Kernels;

/// <summary>
/// The direct convolution of layers with few taps (<c>ConvolutionKernel.Direct.cs</c>) against the im2col + GEMM path it
/// stands in for: the same output bit for bit (and, with a fused pool, the same argmax), for every route the GEMM would
/// have taken (its unpacked blocks and its packed panels), bias or none, ReLU or none, channel counts past a block of
/// eight, rows wider than one vector, one image and several chunks. Against the double-precision reference the
/// direct path is checked by <see cref="ConvolutionKernelTests"/>, whose first-layer cases it now runs.
/// </summary>
public class ConvolutionDirectTests
{
    public record Case(int Batch, int InChannels, int OutChannels, int Height, int Width, int Kernel, int Padding,
        bool Bias = true, bool Relu = true, bool Pool = false)
    {
        internal Conv2dGeometry Geometry() => Conv2dGeometry.Create(
            new[] { Batch, InChannels, Height, Width }, new[] { OutChannels, InChannels, Kernel, Kernel },
            (1, 1), (Padding, Padding), (1, 1));

        public override string ToString() =>
            $"N{Batch} C{InChannels} O{OutChannels} {Height}x{Width} k{Kernel} p{Padding}{(Bias ? " bias" : "")}{(Relu ? " relu" : "")}{(Pool ? " pool" : "")}";
    }

    public static TheoryData<Case> Cases() => new()
    {
        new(64, 1, 16, 28, 28, 3, 1, Pool: true),          // the CNN's first layer, fused with its pool (unpacked GEMM, 4 chunks)
        new(64, 1, 16, 28, 28, 3, 1),                       // the same without the pool (products copied out per image)
        new(1, 1, 16, 28, 28, 3, 1),                        // one image: its products are the output
        new(5, 3, 64, 32, 32, 3, 1),                        // 27 taps, 64 channels: the packed GEMM route
        new(3, 1, 13, 9, 20, 3, 0, Relu: false),            // 13 channels (a block of 8 and 5 alone), an 18-wide row
        new(2, 2, 10, 11, 40, 5, 2),                        // 50 taps: past the limit, so the GEMM path on both sides
        new(2, 2, 10, 11, 40, 3, 2, Bias: false),           // 40-wide rows (three vectors), no bias
        new(4, 1, 2, 5, 5, 5, 2, Bias: false, Relu: false), // two channels, the kernel as large as the padded image
        new(7, 1, 9, 12, 13, 3, 1, Pool: true),             // a pool over odd widths
        new(3, 2, 11, 6, 5, 3, 1),                          // 5-wide rows: one vector spans three rows, never past the image
        new(1, 1, 8, 4, 3, 3, 1, Relu: false),              // one image of 4x3 outputs, the products written as the output
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Direct_products_equal_the_im2col_gemm_ones_bit_for_bit(Case c)
    {
        var g = c.Geometry();
        var random = new System.Random(20261203);
        float[] Data(int n) => Enumerable.Range(0, n).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
        const int inputOffset = 3;
        var input = new float[inputOffset].Concat(Data(g.Batch * g.InImage)).ToArray();
        var weight = Data(g.WeightCount);
        var bias = c.Bias ? Data(g.OutChannels) : null;

        var (direct, directIndices) = Run(g, c, input, inputOffset, weight, bias, useDirect: true);
        var (gemm, gemmIndices) = Run(g, c, input, inputOffset, weight, bias, useDirect: false);

        Assert.Equal(Avx512F.IsSupported && g.ColumnRows <= ConvolutionKernel.DirectColumnRows, ConvolutionKernel.UsesDirect(g));
        Assert.Equal(gemm.Select(BitConverter.SingleToInt32Bits), direct.Select(BitConverter.SingleToInt32Bits));
        Assert.Equal(gemmIndices, directIndices);
    }

    [Fact]
    public void The_cnn_first_layer_is_convolved_directly_and_the_second_by_gemm()
    {
        var first = Conv2dGeometry.Create(new[] { 64, 1, 28, 28 }, new[] { 16, 1, 3, 3 }, (1, 1), (1, 1), (1, 1));
        var second = Conv2dGeometry.Create(new[] { 64, 16, 14, 14 }, new[] { 32, 16, 3, 3 }, (1, 1), (1, 1), (1, 1));
        var strided = Conv2dGeometry.Create(new[] { 2, 1, 28, 28 }, new[] { 16, 1, 3, 3 }, (2, 2), (1, 1), (1, 1));
        var oneChannel = Conv2dGeometry.Create(new[] { 2, 1, 28, 28 }, new[] { 1, 1, 3, 3 }, (1, 1), (1, 1), (1, 1));
        Assert.Equal(Avx512F.IsSupported, ConvolutionKernel.UsesDirect(first));
        Assert.False(ConvolutionKernel.UsesDirect(second));
        Assert.False(ConvolutionKernel.UsesDirect(strided));
        Assert.False(ConvolutionKernel.UsesDirect(oneChannel));
    }

    static (float[] Output, int[] Indices) Run(in Conv2dGeometry g, Case c, float[] input, int inputOffset, float[] weight, float[]? bias, bool useDirect)
    {
        ConvolutionKernel.DirectEnabled = useDirect;
        try
        {
            if (!c.Pool)
            {
                var output = new float[g.Batch * g.OutImage];
                ConvolutionKernel.Forward(g, input, inputOffset, weight, 0, bias, 0, output, 0, c.Relu);
                return (output, []);
            }
            var pool = Pool2dGeometry.Create(new[] { g.Batch, g.OutChannels, g.OutHeight, g.OutWidth }, (2, 2), (2, 2), (0, 0), (1, 1), "MaxPool2d");
            var pooled = new float[pool.Planes * pool.OutPlane];
            var indices = new int[pooled.Length];
            ConvolutionKernel.Forward(g, input, inputOffset, weight, 0, bias, 0, pooled, 0, c.Relu, new MaxPoolFusion(pool, indices, 0));
            return (pooled, indices);
        }
        finally
        {
            ConvolutionKernel.DirectEnabled = true;
        }
    }
}
