using ShapeSafe.Kernels.Convolution;

namespace ShapeSafe.Tests.Kernels;

/// <summary>
/// <see cref="Im2Col"/> against its definition, entry by entry: the "same"-convolution fast path (one run per row)
/// and the general path must both write exactly the defined column matrix into a wider matrix without touching
/// the other images' columns, and col2im must be its exact adjoint.
/// </summary>
public class Im2ColTests
{
    public static TheoryData<int, int, int, int, int, int, int> Geometries() => new()
    {
        // channels, height, width, kernel, stride, padding, dilation
        { 2, 5, 7, 3, 1, 1, 1 },    // "same" 3x3: fast path
        { 1, 28, 28, 3, 1, 1, 1 },  // the CNN's first layer: fast path
        { 3, 6, 6, 5, 1, 2, 1 },    // "same" 5x5: two columns of padding each side
        { 2, 7, 7, 3, 1, 2, 2 },    // "same" dilated: fast path
        { 2, 1, 1, 3, 1, 1, 1 },    // 1x1 image, only the centre tap is real
        { 2, 7, 5, 1, 1, 0, 1 },    // pointwise: fast path without padding
        { 2, 7, 5, 3, 1, 0, 1 },    // stride 1 but narrower output: general path
        { 3, 9, 8, 3, 2, 1, 1 },    // strided: general path
        { 1, 17, 17, 5, 3, 2, 2 },  // every knob
    };

    [Theory]
    [MemberData(nameof(Geometries))]
    public void Fill_writes_the_defined_matrix_and_Accumulate_is_its_adjoint(int channels, int height, int width, int kernel, int stride, int padding, int dilation)
    {
        var g = Conv2dGeometry.Create(new[] { 1, channels, height, width }, new[] { 1, channels, kernel, kernel },
            (stride, stride), (padding, padding), (dilation, dilation));
        var random = new System.Random(channels * 1000 + height * 10 + kernel);
        var input = ConvolutionKernelTests.RandomArray(random, 3 + g.InImage);
        int rows = g.ColumnRows, plane = g.OutPlane, ld = 3 * plane + 1, offset = plane + 1;

        // The matrix of image 1 of a 3-image chunk: other columns keep their marker.
        var columns = Enumerable.Repeat(-7f, offset + rows * ld).ToArray();
        Im2Col.Fill(g, input, 3, channels, columns, offset, ld);
        for (int r = 0; r < rows; r++)
        {
            for (int l = 0; l < ld; l++)
            {
                int at = offset + r * ld + l;
                if (at >= columns.Length)
                    break;
                float expected = l < plane ? Defined(g, input, 3, r, l) : -7f;
                Assert.True(expected.Equals(columns[at]), $"row {r}, column {l}: got {columns[at]}, expected {expected}");
            }
        }
        Assert.All(columns[..offset], v => Assert.Equal(-7f, v));

        // Adjoint: <col2im(y), x> = <y, im2col(x)> exactly per input entry: gradInput[p] = Σ of y over the entries that read p.
        var y = ConvolutionKernelTests.RandomArray(random, offset + rows * ld);
        var expectedGrad = new double[g.InImage];
        for (int r = 0; r < rows; r++)
        {
            for (int l = 0; l < plane; l++)
            {
                int source = Source(g, r, l);
                if (source >= 0)
                    expectedGrad[source] += y[offset + r * ld + l];
            }
        }
        var gradInput = Enumerable.Repeat(0.5f, 2 + g.InImage).ToArray();
        Im2Col.Accumulate(g, (float[])y.Clone(), offset, ld, channels, gradInput, 2);
        for (int p = 0; p < g.InImage; p++)
            Assert.True(Math.Abs(0.5 + expectedGrad[p] - gradInput[2 + p]) <= 1e-5, $"gradInput[{p}]: got {gradInput[2 + p]}, expected {0.5 + expectedGrad[p]}");
        Assert.Equal(0.5f, gradInput[0]);
        Assert.Equal(0.5f, gradInput[1]);
    }

    [Fact]
    public void Same_convolutions_take_the_fast_path_and_others_do_not()
    {
        Assert.True(Im2Col.HasContiguousRows(Conv2dGeometry.Create(new[] { 1, 1, 5, 7 }, new[] { 1, 1, 3, 3 }, (1, 1), (1, 1), (1, 1))));
        Assert.False(Im2Col.HasContiguousRows(Conv2dGeometry.Create(new[] { 1, 1, 5, 7 }, new[] { 1, 1, 3, 3 }, (1, 1), (0, 0), (1, 1))));
        Assert.False(Im2Col.HasContiguousRows(Conv2dGeometry.Create(new[] { 1, 1, 6, 6 }, new[] { 1, 1, 3, 3 }, (2, 2), (1, 1), (1, 1))));
    }

    // Entry (r, l) of the column matrix by definition, or 0 in the padding.
    static float Defined(in Conv2dGeometry g, float[] input, int offset, int r, int l)
    {
        int source = Source(g, r, l);
        return source < 0 ? 0f : input[offset + source];
    }

    // The input position (c·H + ih)·W + iw entry (r, l) reads, or -1 in the padding.
    static int Source(in Conv2dGeometry g, int r, int l)
    {
        int c = r / (g.KernelHeight * g.KernelWidth), i = r / g.KernelWidth % g.KernelHeight, j = r % g.KernelWidth;
        int oh = l / g.OutWidth, ow = l % g.OutWidth;
        int ih = oh * g.StrideHeight - g.PadHeight + i * g.DilationHeight;
        int iw = ow * g.StrideWidth - g.PadWidth + j * g.DilationWidth;
        return ih < 0 || ih >= g.InHeight || iw < 0 || iw >= g.InWidth ? -1 : (c * g.InHeight + ih) * g.InWidth + iw;
    }
}
