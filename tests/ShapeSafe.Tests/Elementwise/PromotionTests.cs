using ShapeSafe;

namespace ShapeSafe.Tests.Elementwise;

public class PromotionTests
{
    static readonly Tensor Longs = Tensor.FromArray(new long[] { 1, 2, 3, 4 });
    static readonly Tensor Floats = Tensor.FromArray(new[] { 0.5f, 1f, 1.5f, 2f });

    [Fact]
    public void Int64WithInt64StaysInt64ForAddSubMul()
    {
        Assert.Equal(DType.Int64, (Longs + Longs).DType);
        Assert.Equal(new long[] { 0, 0, 0, 0 }, (Longs - Longs).ToInt64Array());
        Assert.Equal(new long[] { 1, 4, 9, 16 }, (Longs * Longs).ToInt64Array());
    }

    [Fact]
    public void DivisionIsTrueDivisionAndGivesFloat32()
    {
        var q = Longs / Tensor.FromArray(new long[] { 2 }, 1);

        Assert.Equal(DType.Float32, q.DType);
        Assert.Equal(new[] { 0.5f, 1f, 1.5f, 2f }, q.ToFloatArray());
        Assert.Equal(DType.Float32, (Longs / 2).DType);
        Assert.Equal(new[] { 1f, 0.5f, 1f / 3, 0.25f }, (1 / Longs).ToFloatArray());
    }

    [Fact]
    public void AnyFloat32OperandGivesFloat32()
    {
        var sum = Longs + Floats;

        Assert.Equal(DType.Float32, sum.DType);
        Assert.Equal(new[] { 1.5f, 3f, 4.5f, 6f }, sum.ToFloatArray());
        Assert.Equal(DType.Float32, (Floats * Longs).DType);
    }

    [Fact]
    public void Int64TensorWithFloatScalarGivesFloat32()
    {
        var r = Longs + 0.5f;

        Assert.Equal(DType.Float32, r.DType);
        Assert.Equal(new[] { 1.5f, 2.5f, 3.5f, 4.5f }, r.ToFloatArray());
        Assert.Equal(DType.Float32, (2f * Longs).DType);
    }

    [Fact]
    public void Int64TensorWithIntegerScalarStaysInt64()
    {
        Assert.Equal(DType.Int64, (Longs + 2).DType);
        Assert.Equal(new long[] { 3, 6, 9, 12 }, (3 * Longs).ToInt64Array());
        Assert.Equal(new long[] { 9, 8, 7, 6 }, (10 - Longs).ToInt64Array());
        Assert.Equal(DType.Float32, (Floats + 2).DType);
    }

    [Fact]
    public void ZeroDimFloatTensorPromotesAnInt64Tensor()
    {
        var r = Longs * Tensor.Scalar(0.5f);

        Assert.Equal(DType.Float32, r.DType);
        Assert.Equal(new[] { 0.5f, 1f, 1.5f, 2f }, r.ToFloatArray());
        Assert.Equal(DType.Int64, (Longs * Tensor.Scalar(2L)).DType);
    }

    [Fact]
    public void UnaryFunctionsKeepOrPromoteAsPyTorch()
    {
        var x = Tensor.FromArray(new long[] { -2, 0, 3 });

        Assert.Equal(DType.Int64, x.Abs().DType);
        Assert.Equal(new long[] { 2, 0, 3 }, x.Abs().ToInt64Array());
        Assert.Equal(new long[] { 2, 0, -3 }, (-x).ToInt64Array());
        Assert.Equal(new long[] { 0, 0, 3 }, x.Relu().ToInt64Array());
        Assert.Equal(new long[] { 4, 0, 9 }, x.Square().ToInt64Array());
        Assert.Equal(new long[] { -1, 0, 1 }, x.Clamp(-1, 1).ToInt64Array());
        Assert.Equal(DType.Float32, x.Clamp(-1.5f, null).DType);
        Assert.Equal(new long[] { 4, 0, 9 }, x.Pow(2).ToInt64Array());
        Assert.Equal(DType.Float32, x.Pow(2f).DType);
        Assert.Equal(DType.Float32, x.Exp().DType);
        Assert.Equal(new[] { 2f, 0f, 3f }, x.Abs().Sqrt().Square().ToFloatArray().Select(v => MathF.Round(v, 5)).ToArray());
        Assert.Equal(DType.Float32, x.Sigmoid().DType);
    }

    [Fact]
    public void FloatOnlyActivationsRejectInt64()
    {
        var x = Tensor.Arange(3);

        Assert.Throws<ArgumentException>(() => x.Gelu());
        Assert.Throws<ArgumentException>(() => x.LeakyRelu());
        Assert.Throws<ArgumentException>(() => x.Softmax(0));
        Assert.Throws<ArgumentException>(() => x.Pow(-1));
    }
}
