using ShapeSafe;

namespace ShapeSafe.Tests.DTypes;

public class BFloat16Tests
{
    static float Bits(uint b) => BitConverter.UInt32BitsToSingle(b);

    static float RoundTrip(float v) => Tensor.FromArray(new[] { v }).ToDType(DType.BFloat16).ToFloatArray()[0];

    [Fact]
    public void ConversionRoundsToNearestEven()
    {
        // 1 + 2^-8 is halfway between 1 and 1 + 2^-7: ties go to the even mantissa (1).
        Assert.Equal(1f, RoundTrip(1f + MathF.Pow(2, -8)));
        // 1 + 3·2^-8 is halfway between 1 + 2^-7 and 1 + 2^-6: even is 1 + 2^-6.
        Assert.Equal(1f + MathF.Pow(2, -6), RoundTrip(1f + 3 * MathF.Pow(2, -8)));
        // Just above the halfway point rounds up.
        Assert.Equal(Bits(0x3F810000), RoundTrip(Bits(0x3F808001)));
        Assert.Equal(Bits(0x3F800000), RoundTrip(Bits(0x3F807FFF)));
        // Values torch.tensor(x).bfloat16() gives: 0.1 → 0.10009765625, 3.14159 → 3.140625, 1e-40 (subnormal) kept.
        Assert.Equal(0.10009765625f, RoundTrip(0.1f));
        Assert.Equal(3.140625f, RoundTrip(3.14159f));
        Assert.Equal(Bits(0x00010000), RoundTrip(Bits(0x00010FFF)));
        Assert.Equal(Bits(0x00020000), RoundTrip(Bits(0x00018000)));
        // The largest floats overflow to infinity, as RNE on the bits does; infinities stay.
        Assert.Equal(float.PositiveInfinity, RoundTrip(float.MaxValue));
        Assert.Equal(float.NegativeInfinity, RoundTrip(float.NegativeInfinity));
    }

    [Fact]
    public void NaNStaysNaNWhateverItsPayload()
    {
        // 0x7FFFFFFF would round up into the sign bit without the NaN case.
        var nan = Tensor.FromArray(new[] { Bits(0x7FFFFFFF), Bits(0xFF800001), float.NaN }).ToDType(DType.BFloat16);
        Assert.All(nan.ToFloatArray(), v => Assert.True(float.IsNaN(v)));
        Assert.Equal("tensor([nan, nan, nan], dtype=torch.bfloat16)", nan.ToString());
    }

    [Fact]
    public void VectorAndScalarConversionsAgreeOnRandomBits()
    {
        var rng = new System.Random(3);
        var values = Enumerable.Range(0, 1003).Select(_ => Bits((uint)rng.NextInt64(0, 1L << 32))).ToArray();
        var converted = Tensor.FromArray(values).ToDType(DType.BFloat16).ToFloatArray();
        for (int i = 0; i < values.Length; i++)
        {
            uint bits = BitConverter.SingleToUInt32Bits(values[i]);
            float expected = float.IsNaN(values[i]) ? float.NaN : Bits(((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16) << 16);
            Assert.Equal(expected, converted[i]);
        }
    }

    [Fact]
    public void WideningToFloat32IsExact()
    {
        var t = Tensor.FromArray(new[] { 1.5f, -0.10009765625f, 65280f }).ToDType(DType.BFloat16);
        Assert.Equal(new[] { 1.5f, -0.10009765625f, 65280f }, t.ToFloatArray());
        Assert.Equal(new[] { 1.5, -0.10009765625, 65280 }, t.ToDType(DType.Float64).ToDoubleArray());
        Assert.Equal(new long[] { 1, 0, 65280 }, t.ToInt64Array());
    }

    [Fact]
    public void ArithmeticComputesInFloatAndRoundsOnce()
    {
        var a = Tensor.FromArray(new[] { 1f, 3f, 0.5f }).ToDType(DType.BFloat16);
        var b = Tensor.FromArray(new[] { 0.00390625f, 7f, 3f }).ToDType(DType.BFloat16);
        var sum = a + b;
        Assert.Equal(DType.BFloat16, sum.DType);
        // 1 + 2^-8 ties to 1; 3 + 7 = 10; 0.5 + 3 = 3.5.
        Assert.Equal(new[] { 1f, 10f, 3.5f }, sum.ToFloatArray());
        // 1/3 in float is 0.33333334, which rounds to 0.333984375 in bf16.
        Assert.Equal(0.333984375f, (Tensor.Scalar(1f).ToDType(DType.BFloat16) / 3f).Item());
        Assert.Equal(DType.BFloat16, (a * 2.5).DType);
        Assert.Equal(DType.Float32, (a * Tensor.FromArray(new[] { 1f, 1f, 1f })).DType);
        Assert.Equal(DType.BFloat16, a.Exp().DType);
        Assert.Equal(RoundTrip(MathF.Exp(3f)), a.Exp().ToFloatArray()[1]);
        Assert.Equal(DType.BFloat16, a.Sum().DType);
        Assert.Equal(4.5f, a.Sum().Item());
        Assert.Equal("tensor([1.0000, 3.0000, 0.5000], dtype=torch.bfloat16)", a.ToString());
    }

    [Fact]
    public void MatmulAccumulatesInFloatAndRoundsTheResult()
    {
        // 256 products of 1 · 2^-8 sum to exactly 1 in float32; summing in bf16 would stall at 2^-8·256 long before.
        var a = Tensor.Ones(new[] { 1, 256 }, DType.BFloat16);
        var b = Tensor.Full(new[] { 256, 1 }, 0.00390625f, DType.BFloat16);
        var c = Tensor.Mm(a, b);
        Assert.Equal(DType.BFloat16, c.DType);
        Assert.Equal(1f, c.Item());
        var x = Tensor.FromArray(new[] { 0.1f, 0.2f, 0.3f, 0.4f }, 2, 2);
        var expected = Tensor.Mm(x.ToDType(DType.BFloat16).ToDType(DType.Float32), x.ToDType(DType.BFloat16).ToDType(DType.Float32)).ToDType(DType.BFloat16);
        Assert.Equal(expected.ToFloatArray(), Tensor.Matmul(x.ToDType(DType.BFloat16), x.ToDType(DType.BFloat16)).ToFloatArray());
    }

    [Fact]
    public void GradientsOfBFloat16LeavesAreBFloat16()
    {
        var x = Tensor.FromArray(new[] { 1f, 2f }).ToDType(DType.BFloat16);
        x.RequiresGrad = true;
        (x * x).Sum().Backward();
        Assert.Equal(DType.BFloat16, x.Grad!.DType);
        Assert.Equal(new[] { 2f, 4f }, x.Grad.ToFloatArray());
    }
}
