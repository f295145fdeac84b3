using ShapeSafe.Kernels.Gemm;
using ShapeSafe.Tests.TestSupport;

namespace ShapeSafe.Tests.Kernels;

/// <summary>
/// The 6x64 kernel reading A in place (<see cref="GemmMicroKernel.ComputeRowA"/>) for every row count an edge panel can
/// have, against the same kernel on a packed panel; and the row split's products whose last row panel is partial
/// (M mod 6 = 1 to 5), which that form now computes without packing, against the general nest.
/// </summary>
[Collection(nameof(GemmThreadingTests))]
public class GemmInPlaceEdgeTests
{
    private static GemmMicroKernel? InPlaceKernel => GemmMicroKernels.Supported.FirstOrDefault(k => k.HasRowA);

    [Fact]
    public void Avx512_hardware_has_the_in_place_kernel()
    {
        // The tests below run only where some kernel reads A in place; on AVX-512 hardware that must be the 6x64 kernel.
        if (System.Runtime.Intrinsics.X86.Avx512F.IsSupported)
            Assert.Equal("avx512-6x64", InPlaceKernel?.Name);
        else
            Assert.Null(InPlaceKernel);
    }

    [Theory]
    [InlineData(1, 0f)]
    [InlineData(7, 0f)]
    [InlineData(128, 0f)]
    [InlineData(33, -0.5f)]
    [InlineData(128, 1f)]
    public void In_place_rows_match_the_packed_panel_bitwise_and_write_only_their_rows(int kc, float beta)
    {
        if (InPlaceKernel is not { } kernel)
            return;
        var rng = new System.Random(kc * 13 + (int)(beta * 4));
        int mr = kernel.Mr, nr = kernel.Nr;
        int lda = kc + 3, ldc = nr + 5;
        float[] a = Random(rng, mr * lda), b = Random(rng, kc * nr), c0 = Random(rng, (mr + 1) * ldc);
        for (int rows = 1; rows <= mr; rows++)
        {
            // The packed panel: dst[p * mr + i] = A[i, p], rows past `rows` zero, as GemmPacking lays it out.
            var packed = new float[kc * mr];
            for (int p = 0; p < kc; p++)
                for (int i = 0; i < rows; i++)
                    packed[p * mr + i] = a[i * lda + p];
            float[] expected = (float[])c0.Clone(), actual = (float[])c0.Clone();
            kernel.ComputeTile(kc, packed, b, expected, ldc, 1.5f, beta);
            kernel.ComputeTileRowA(rows, kc, a, lda, b, actual, ldc, 1.5f, beta);
            for (int i = 0; i <= mr; i++)
            {
                for (int j = 0; j < ldc; j++)
                {
                    int at = i * ldc + j;
                    // The tile's own rows and columns as the packed kernel computes them; everything else as it was.
                    float want = i < rows && j < nr ? expected[at] : c0[at];
                    Assert.True(BitConverter.SingleToInt32Bits(want) == BitConverter.SingleToInt32Bits(actual[at]),
                        $"rows {rows}, C[{i}, {j}]: {actual[at]} instead of {want}");
                }
            }
        }
    }

    public static TheoryData<int, int, int, OperandLayout, OperandLayout, OperandLayout> EdgeShapes() => new()
    {
        { 127, 128, 128, OperandLayout.Plain, OperandLayout.Plain, OperandLayout.Plain },       // 21 panels + 1 row
        { 128, 128, 128, OperandLayout.Plain, OperandLayout.Plain, OperandLayout.Plain },       // + 2 rows, as Tensor.Mm at n = 128
        { 129, 192, 100, OperandLayout.Plain, OperandLayout.Transposed, OperandLayout.Plain },  // + 3 rows, B transposed
        { 256, 256, 256, OperandLayout.Plain, OperandLayout.Plain, OperandLayout.Plain },       // + 4 rows, as Tensor.Mm at n = 256
        { 137, 100, 77, OperandLayout.Sliced, OperandLayout.Plain, OperandLayout.Plain },       // + 5 rows, A's row stride > k, last B panel 36 wide
        { 62, 70, 45, OperandLayout.Sliced, OperandLayout.Plain, OperandLayout.Sliced },        // + 2 rows, narrow last B panel (6x16 kernel, packed A), C a slice
        { 65, 64, 600, OperandLayout.Plain, OperandLayout.Plain, OperandLayout.Plain },         // + 5 rows, two k blocks: beta 1 on the second
        { 40, 128, 64, OperandLayout.BroadcastRows, OperandLayout.Plain, OperandLayout.Plain }, // + 4 rows, A's rows all one row (stride 0)
        { 50, 61, 70, OperandLayout.Transposed, OperandLayout.Plain, OperandLayout.Plain },     // A transposed: packed, edge rows through the tile
    };

    [Theory]
    [MemberData(nameof(EdgeShapes))]
    public void Products_with_a_partial_last_row_panel_match_the_general_nest_bitwise(int m, int n, int k,
        OperandLayout aLayout, OperandLayout bLayout, OperandLayout cLayout)
    {
        Assert.True(GemmPacked.UsesRowSplit(m, n, k, GemmKernel.MicroKernel, 1));
        var rng = new System.Random(m * 17 + n * 5 + k);
        var a = Operand.Create(rng, m, k, aLayout);
        var b = Operand.Create(rng, k, n, bLayout);
        var c = Operand.Create(rng, m, n, cLayout);
        foreach (float beta in new[] { 0f, -0.5f })
        {
            float[] general = Threads.With(1, () => GemmCheck.Matches(m, n, k, 1.5f, a, b, beta, c, route: GemmRoute.PackedGeneral));
            foreach (int threads in new[] { 1, 2 })
                Assert.Equal(general, Threads.With(threads, () => GemmCheck.Matches(m, n, k, 1.5f, a, b, beta, c, route: GemmRoute.Packed)));
        }
    }

    [Theory]
    [InlineData(128, 128, 128)]
    [InlineData(131, 97, 64)]
    [InlineData(256, 256, 256)]
    public void Tensor_Mm_on_plain_transposed_and_strided_operands_is_the_general_nest_bitwise(int m, int n, int k)
    {
        var rng = new System.Random(m + n + k);
        float[] aData = Random(rng, m * k), bData = Random(rng, k * n);
        float[] expected = new float[m * n];
        GemmKernel.SgemmWith(GemmKernel.MicroKernel, GemmRoute.PackedGeneral, m, n, k, 1f, aData, 0, k, 1, bData, 0, n, 1,
            0f, expected, 0, n, 1);
        var a = Tensor.FromArray(aData, m, k);
        var b = Tensor.FromArray(bData, k, n);
        // The same values through other strides: transposed storage, and every other row of a twice-taller matrix.
        var aTransposed = a.T.Contiguous().T;
        var bTransposed = b.T.Contiguous().T;
        var aStrided = Tensor.Stack([a, Tensor.Zeros(m, k)], 1).Reshape(2 * m, k).Slice(0, 0, 2 * m, 2);
        Assert.False(aTransposed.IsContiguous);
        Assert.Equal(new[] { 2 * k, 1 }, aStrided.Strides);
        foreach (int threads in new[] { 1, 2 })
        {
            foreach (var (left, right) in new[] { (a, b), (aTransposed, b), (a, bTransposed), (aStrided, bTransposed) })
            {
                var product = Threads.With(threads, () => Tensor.Mm(left, right));
                Assert.Equal(new[] { m, n }, product.Shape);
                Assert.Equal(new[] { n, 1 }, product.Strides);
                Assert.Equal(expected, product.ToFloatArray());
            }
        }
    }

    private static float[] Random(System.Random rng, int count)
    {
        var data = new float[count];
        for (int i = 0; i < count; i++)
            data[i] = (float)(rng.NextDouble() * 2 - 1);
        return data;
    }
}
