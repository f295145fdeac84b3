using ShapeSafe.Kernels.Elementwise;
using ShapeSafe.Kernels.Gemm;

namespace ShapeSafe.Tests.Kernels;

public class GemmBFloat16Tests
{
    public static TheoryData<int, int, int, OperandLayout, OperandLayout> Cases()
    {
        var data = new TheoryData<int, int, int, OperandLayout, OperandLayout>();
        var sizes = new[] { (1, 1, 1), (7, 13, 9), (6, 64, 8), (33, 70, 17), (67, 130, 600), (128, 96, 1100) };
        var layouts = new[] { OperandLayout.Plain, OperandLayout.Transposed, OperandLayout.Sliced, OperandLayout.TransposedSliced, OperandLayout.BroadcastRows };
        foreach (var (m, n, k) in sizes)
            foreach (var la in layouts)
                foreach (var lb in layouts)
                    data.Add(m, n, k, la, lb);
        return data;
    }

    /// <summary>The reference: the operands converted to float32 whole, the float32 packed GEMM, the result rounded once.</summary>
    static ushort[] Reference(GemmMicroKernel kernel, int m, int n, int k, Operand a, Operand b)
    {
        var c = new float[m * n];
        GemmKernel.SgemmWith(kernel, GemmRoute.Packed, m, n, k, 1f, Widened(a.Data), a.Offset, a.RowStride, a.ColStride,
            Widened(b.Data), b.Offset, b.RowStride, b.ColStride, 0f, c, 0, n, 1);
        return Rounded(c);
    }

    static ushort[] Bits(float[] values)
    {
        var bits = new ushort[values.Length];
        DTypeConversion.ToBFloat16(values, bits);
        return bits;
    }

    static float[] Widened(ushort[] bits)
    {
        var values = new float[bits.Length];
        DTypeConversion.FromBFloat16(bits, values);
        return values;
    }

    static float[] Widened(float[] values) => Widened(Bits(values));

    static ushort[] Rounded(float[] values) => Bits(values);

    [Theory]
    [MemberData(nameof(Cases))]
    public void EqualsTheFloat32ProductOfTheWidenedOperandsRoundedOnce(int m, int n, int k, OperandLayout layoutA, OperandLayout layoutB)
    {
        var rng = new System.Random(m * 1000 + n * 10 + k);
        var a = Operand.Create(rng, m, k, layoutA);
        var b = Operand.Create(rng, k, n, layoutB);
        foreach (var kernel in GemmMicroKernels.Supported)
        {
            var c = Enumerable.Repeat(float.NaN, m * n).ToArray();   // written without being read
            GemmBFloat16.GemmWith(kernel, m, n, k, Bits(a.Data), a.Offset, a.RowStride, a.ColStride,
                Bits(b.Data), b.Offset, b.RowStride, b.ColStride, c, 0, n);
            Assert.Equal(Reference(kernel, m, n, k, a, b), Rounded(c));
        }
    }

    [Fact]
    public void AccumulatesInFloat32()
    {
        // 1000 ones: a BFloat16 running sum would stop at 256 (256 + 1 rounds back to 256); float32 sums reach 1000,
        // which BFloat16 holds exactly.
        const int k = 1000;
        var ones = Bits(Enumerable.Repeat(1f, k).ToArray());
        var c = new float[1];
        GemmBFloat16.Gemm(1, 1, k, ones, 0, k, 1, ones, 0, 1, 1, c, 0, 1);
        Assert.Equal(1000f, c[0]);
    }

    [Fact]
    public void AddsTheBiasInFloat32BeforeTheOneRounding()
    {
        // 256 + 1 + 0.5 in float32 is 257.5, which rounds to 258 in BFloat16; rounding 256 + 1 first would give 256,
        // and adding the bias then 256.5 → 256.
        var a = Bits(new[] { 16f, 1f });
        var b = Bits(new[] { 16f, 1f });
        var c = new float[1];
        GemmBFloat16.Gemm(1, 1, 2, a, 0, 2, 1, b, 0, 1, 1, c, 0, 1, GemmEpilogue.ColumnBias(new[] { 0.5f }, 0));
        Assert.Equal(257.5f, c[0]);
        Assert.Equal(258f, Widened(Rounded(c))[0]);
    }

    [Fact]
    public void EmptyDepthGivesZerosAndOperandsOutOfRangeThrow()
    {
        var c = new[] { float.NaN, float.NaN };
        GemmBFloat16.Gemm(1, 2, 0, Array.Empty<ushort>(), 0, 0, 1, Array.Empty<ushort>(), 0, 2, 1, c, 0, 2);
        Assert.Equal(new[] { 0f, 0f }, c);
        var ex = Assert.Throws<ArgumentException>(() =>
            GemmBFloat16.Gemm(2, 2, 2, new ushort[3], 0, 2, 1, new ushort[4], 0, 2, 1, new float[4], 0, 2));
        Assert.StartsWith("Operand a reaches element 3 but its array holds 3.", ex.Message);
    }

    // A BFloat16 A times a float32 B (a convolution's weight times its widened column matrix): bitwise what Sgemm gives
    // on the widened A, on both routes and both layouts of A.
    [Theory]
    [InlineData(7, 13, 9)]          // unpacked: small
    [InlineData(1, 300, 40)]        // unpacked: one row
    [InlineData(40, 1, 300)]        // unpacked: one column
    [InlineData(32, 784, 144)]      // packed: the CNN's second convolution
    [InlineData(144, 784, 32)]      // packed: its input gradient (A transposed)
    public void GemmWidenedAIsTheFloat32ProductOfTheWidenedAOnTheSameRoute(int m, int n, int k)
    {
        var rng = new System.Random(m + n + k);
        var bits = new ushort[m * k];
        DTypeConversion.ToBFloat16(Enumerable.Range(0, m * k).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray(), bits);
        var widened = new float[bits.Length];
        DTypeConversion.FromBFloat16(bits, widened);
        var b = Enumerable.Range(0, k * n).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
        foreach (var (rowStride, colStride) in new[] { (k, 1), (1, m) })
        {
            foreach (var kernel in GemmMicroKernels.Supported)
            {
                var expected = new float[m * n];
                GemmKernel.SgemmWith(kernel, GemmRoute.Auto, m, n, k, 1f, widened, 0, rowStride, colStride, b, 0, n, 1, 0f, expected, 0, n, 1);
                var actual = Enumerable.Repeat(float.NaN, m * n).ToArray();
                GemmBFloat16.GemmWidenedAWith(kernel, m, n, k, bits, 0, rowStride, colStride, b, 0, n, 1, actual, 0, n);
                Assert.Equal(expected.Select(BitConverter.SingleToInt32Bits), actual.Select(BitConverter.SingleToInt32Bits));
            }
        }
    }
}
