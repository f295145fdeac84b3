using ShapeSafe.Gradients;
using ShapeSafe.Kernels.Gemm;
using ShapeSafe.Kernels.Memory;

namespace ShapeSafe.Tests.Kernels;

/// <summary>
/// A widening linear layer's weight gradient, computed as xᵀ·g and transposed (<see cref="LinearGradient.TransposesWeightGradient"/>):
/// bitwise the floats of the one product gᵀ·x it replaces, for the feed-forward block's shape, edge tiles, two k
/// blocks and strided operands; and the transpose it writes through.
/// </summary>
public class LinearWeightGradientTests
{
    public static TheoryData<int, int, int, bool> Shapes() => new()
    {
        { 1024, 256, 512, false },  // a transformer's linear1: [512, 256] -> [512, 1024]
        { 301, 67, 257, false },    // edge tiles in both dims, columns not a multiple of 8
        { 200, 64, 1100, false },   // 1100 rows: two k blocks, the second added onto the first
        { 400, 130, 300, true },    // x and g read through transposed views
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Matches_the_product_in_the_weights_orientation_bitwise(int n, int k, int m, bool transposedViews)
    {
        Assert.True(LinearGradient.TransposesWeightGradient(n, k, m));
        var x = transposedViews ? Tensor.Randn(new[] { k, m }, new Generator(3)).T : Tensor.Randn(new[] { m, k }, new Generator(3));
        var g = transposedViews ? Tensor.Randn(new[] { n, m }, new Generator(4)).T : Tensor.Randn(new[] { m, n }, new Generator(4));
        var w = Tensor.Randn(new[] { n, k }, new Generator(5));
        var gradW = Tensor.Uninitialized(DType.Float32, new[] { n, k });

        LinearGradient.BackwardInto(g, x, w, null, gradW, null);

        // dw[n, k] = gᵀ[n, m]·x[m, k] in one product, as it ran before.
        var expected = new float[n * k];
        GemmKernel.Sgemm(n, k, m, 1f,
            g.FloatData, g.Offset, g.StrideArray[1], g.StrideArray[0],
            x.FloatData, x.Offset, x.StrideArray[0], x.StrideArray[1],
            0f, expected, 0, k, 1);
        for (int i = 0; i < n * k; i++)
            Assert.Equal(BitConverter.SingleToInt32Bits(expected[i]), BitConverter.SingleToInt32Bits(gradW.FloatData[i]));
    }

    [Fact]
    public void A_narrowing_layer_keeps_the_one_product()
    {
        Assert.False(LinearGradient.TransposesWeightGradient(256, 1024, 512));
        Assert.False(LinearGradient.TransposesWeightGradient(256, 256, 512));
        // Small enough for the unpacked route, whose order follows the shape.
        Assert.False(LinearGradient.TransposesWeightGradient(20, 4, 8));
    }

    [Theory]
    [InlineData(16, 24)]
    [InlineData(13, 21)]
    [InlineData(3, 40)]
    [InlineData(1, 1)]
    public void Transpose_writes_every_element_to_its_mirror(int rows, int cols)
    {
        var rng = new System.Random(rows * 100 + cols);
        var source = new float[rows * cols];
        for (int i = 0; i < source.Length; i++) source[i] = (float)rng.NextDouble();
        var destination = new float[rows * cols + 5];
        Array.Fill(destination, -1f);

        Transpose.Into(source, rows, cols, destination, 2);

        for (int i = 0; i < rows; i++)
            for (int j = 0; j < cols; j++)
                Assert.Equal(source[i * cols + j], destination[2 + j * rows + i]);
        Assert.Equal(-1f, destination[0]);
        Assert.Equal(-1f, destination[1]);
        Assert.Equal(-1f, destination[2 + rows * cols]);
    }
}
