using ShapeSafe;

namespace ShapeSafe.Tests.Elementwise;

public class BroadcastTests
{
    [Fact]
    public void ColumnPlusRowGivesTheOuterSum()
    {
        var a = Tensor.FromArray(new[] { 0f, 1f, 2f }, 3, 1);
        var b = Tensor.FromArray(new[] { 0f, 10f, 20f, 30f }, 1, 4);

        var c = a + b;

        Assert.Equal(new[] { 3, 4 }, c.Shape);
        Assert.Equal(new[] { 0f, 10, 20, 30, 1, 11, 21, 31, 2, 12, 22, 32 }, c.ToFloatArray());
    }

    [Fact]
    public void ThreeDTimesTwoDBroadcastsBothWays()
    {
        var a = Tensor.Arange(6).View(2, 1, 3);
        var b = Tensor.Arange(4).View(4, 1);

        var c = a * b;

        Assert.Equal(new[] { 2, 4, 3 }, c.Shape);
        Assert.Equal(DType.Int64, c.DType);
        Assert.Equal(new long[] { 0, 0, 0, 0, 1, 2, 0, 2, 4, 0, 3, 6, 0, 0, 0, 3, 4, 5, 6, 8, 10, 9, 12, 15 }, c.ToInt64Array());
    }

    [Fact]
    public void ZeroDimTensorBroadcastsAgainstAnything()
    {
        var s = Tensor.Scalar(2f);
        var t = Tensor.FromArray(new[] { 1f, 2f, 3f, 4f }, 2, 2);

        Assert.Equal(new[] { 3f, 4, 5, 6 }, (s + t).ToFloatArray());
        Assert.Equal(new[] { 2, 2 }, (t - s).Shape);
        Assert.Equal(new[] { 1f, 0, -1, -2 }, (s - t).ToFloatArray());
    }

    [Fact]
    public void ScalarOperandsOnEitherSide()
    {
        var t = Tensor.FromArray(new[] { 1f, 2f, 4f });

        Assert.Equal(new[] { 3f, 4, 6 }, (t + 2f).ToFloatArray());
        Assert.Equal(new[] { 1f, 0, -2 }, (2f - t).ToFloatArray());
        Assert.Equal(new[] { 4f, 2, 1 }, (4f / t).ToFloatArray());
        Assert.Equal(new[] { 0.5f, 1, 2 }, (t / 2f).ToFloatArray());
        Assert.Equal(new[] { 3f, 6, 12 }, (3f * t).ToFloatArray());
        Assert.Equal(new[] { -1f, -2, -4 }, (-t).ToFloatArray());
    }

    [Fact]
    public void MismatchThrowsShapeExceptionNamingOpShapesAndDim()
    {
        var a = Tensor.Zeros(2, 3);
        var b = Tensor.Zeros(4);

        var e = Assert.Throws<ShapeException>(() => a + b);

        Assert.Equal("Add", e.Operation);
        Assert.Contains("[2, 3]", e.Message);
        Assert.Contains("[4]", e.Message);
        Assert.Contains("dimension 1", e.Message);
    }

    [Theory]
    [InlineData("Sub")]
    [InlineData("Mul")]
    [InlineData("Div")]
    [InlineData("Maximum")]
    [InlineData("Pow")]
    public void EveryBinaryOpNamesItselfInShapeErrors(string op)
    {
        var a = Tensor.Zeros(2, 3);
        var b = Tensor.Arange(2);
        Func<Tensor> call = op switch
        {
            "Sub" => () => a - b,
            "Mul" => () => a * b,
            "Div" => () => a / b,
            "Maximum" => () => Tensor.Maximum(a, b),
            _ => () => a.Pow(b),
        };

        var e = Assert.Throws<ShapeException>(() => call());

        Assert.Equal(op, e.Operation);
        Assert.Contains("[2, 3] and [2]", e.Message);
    }

    [Fact]
    public void MaximumAndMinimumBroadcastAndPropagateNaN()
    {
        var a = Tensor.FromArray(new[] { 1f, float.NaN, 5f });
        var b = Tensor.FromArray(new[] { 3f }, 1);

        Assert.Equal(new[] { 3f, float.NaN, 5f }, Tensor.Maximum(a, b).ToFloatArray());
        Assert.Equal(new[] { 1f, float.NaN, 3f }, a.Minimum(b).ToFloatArray());
    }

    [Fact]
    public void PowWithTensorExponentBroadcasts()
    {
        var x = Tensor.FromArray(new[] { 1f, 2f, 3f }, 3, 1);
        var e = Tensor.FromArray(new[] { 0f, 1f, 2f }, 1, 3);

        Assert.Equal(new[] { 1f, 1, 1, 1, 2, 4, 1, 3, 9 }, x.Pow(e).ToFloatArray());
        Assert.Equal(new[] { 1f, 2, 4 }, Tensor.Pow(2f, Tensor.FromArray(new[] { 0f, 1f, 2f })).ToFloatArray());
    }

    [Fact]
    public void IntegerPowFollowsAtenForNegativeExponents()
    {
        var b = Tensor.FromArray(new long[] { 2, 1, -1, -1, 3 });
        var e = Tensor.FromArray(new long[] { 10, -3, -3, -2, -1 });

        var r = b.Pow(e);

        Assert.Equal(DType.Int64, r.DType);
        Assert.Equal(new long[] { 1024, 1, -1, 1, 0 }, r.ToInt64Array());
    }

    [Fact]
    public void AddWithAlphaScalesTheBroadcastOther()
    {
        var a = Tensor.FromArray(new[] { 1f, 2f }, 2, 1);
        var b = Tensor.FromArray(new[] { 10f, 20f, 30f });

        var r = a.Add(b, alpha: 0.5f);

        Assert.Equal(new[] { 2, 3 }, r.Shape);
        Assert.Equal(new[] { 6f, 11, 16, 7, 12, 17 }, r.ToFloatArray());
        Assert.Equal(new[] { 1f, 2f }, a.ToFloatArray());
        Assert.Equal(new long[] { -2, -3 }, Tensor.Arange(2).Add(Tensor.Arange(2) + 1, -2).ToInt64Array());
        Assert.Throws<ArgumentException>(() => Tensor.Arange(2).Add(Tensor.Arange(2), 0.5f));
    }
}
