using ShapeSafe.Tests.TestSupport;

namespace ShapeSafe.Tests.Indexing;

/// <summary>
/// ScatterReduce. Expected values are the example of PyTorch's documentation for Tensor.scatter_reduce (sum and
/// amax, with and without include_self) and the same inputs worked through by hand for prod and mean; the
/// conformance tool compares every reduction and its gradients with LibTorch 2.10.
/// </summary>
public class ScatterReduceTests
{
    static readonly Generator Rng = new(41);
    static readonly Tensor Src = Tensor.FromArray(new[] { 1f, 2, 3, 4, 5, 6 }, 6);
    static readonly Tensor At = Tensor.FromArray(new long[] { 0, 1, 0, 1, 2, 1 }, 6);

    [Theory]
    [InlineData("sum", true, new[] { 5f, 14, 8, 4 })]
    [InlineData("sum", false, new[] { 4f, 12, 5, 4 })]
    [InlineData("prod", true, new[] { 3f, 96, 15, 4 })]
    [InlineData("prod", false, new[] { 3f, 48, 5, 4 })]
    [InlineData("mean", true, new[] { 5f / 3, 3.5f, 4, 4 })]
    [InlineData("mean", false, new[] { 2f, 4, 5, 4 })]
    [InlineData("amin", true, new[] { 1f, 2, 3, 4 })]
    [InlineData("amin", false, new[] { 1f, 2, 5, 4 })]
    public void EachReductionCombinesTheScatteredValuesAsPyTorchDocuments(string reduce, bool includeSelf, float[] expected)
    {
        var input = Tensor.FromArray(new[] { 1f, 2, 3, 4 }, 4);

        var y = input.ScatterReduce(0, At, Src, reduce, includeSelf);

        Assert.Equal(expected, y.ToFloatArray());
        Assert.Equal(new[] { 1f, 2, 3, 4 }, input.ToFloatArray());
    }

    [Fact]
    public void AmaxKeepsSelfOnlyWhenIncludedAndPropagatesNaN()
    {
        var input = Tensor.FromArray(new[] { 5f, 4, 3, 2 }, 4);

        Assert.Equal(new[] { 5f, 6, 5, 2 }, input.ScatterReduce(0, At, Src, "amax").ToFloatArray());
        Assert.Equal(new[] { 3f, 6, 5, 2 }, input.ScatterReduce(0, At, Src, "amax", includeSelf: false).ToFloatArray());
        var withNaN = Tensor.FromArray(new[] { 1f, float.NaN, 3, 4, 5, 6 }, 6);
        Assert.Equal(new[] { 5f, float.NaN, 5, 2 }, input.ScatterReduce(0, At, withNaN, "amax").ToFloatArray());
    }

    [Fact]
    public void Int64MeanDividesWithFloorAndTwoDimsFollowTheIndexLayout()
    {
        var longs = Tensor.FromArray(new long[] { -3, 0, 0 }, 3);
        var y = longs.ScatterReduce(0, Tensor.FromArray(new long[] { 0, 0 }, 2), Tensor.FromArray(new long[] { 1, 0 }, 2), "mean");
        Assert.Equal(DType.Int64, y.DType);
        Assert.Equal(new long[] { -1, 0, 0 }, y.ToInt64Array());   // (-3 + 1 + 0) / 3 = -2/3, floored

        var grid = Tensor.Zeros(2, 3).ScatterReduce(1, Tensor.FromArray(new long[] { 2, 2, 0, 1 }, 2, 2),
            Tensor.FromArray(new[] { 1f, 2, 3, 4 }, 2, 2), "sum", includeSelf: false);
        Assert.Equal(new[] { 0f, 0, 3, 3, 4, 0 }, grid.ToFloatArray());
    }

    [Fact]
    public void RefusesUnknownReductionsAndTheShapesScatterRefuses()
    {
        var x = Tensor.Zeros(4);

        var unknown = Assert.Throws<ArgumentException>(() => x.ScatterReduce(0, At, Src, "max"));
        Assert.StartsWith("ScatterReduce: reduce argument must be either sum, prod, mean, amax or amin, got max", unknown.Message);
        var shape = Assert.Throws<ShapeException>(() => x.ScatterReduce(0, At, Tensor.Ones(5), "sum"));
        Assert.Equal("ScatterReduce: Expected index [6] to be no larger than self [4] apart from dimension 0 and to be no larger size than src [5] (at dimension 0)", shape.Message);
        var dtype = Assert.Throws<ArgumentException>(() => x.ScatterReduce(0, At, Tensor.Ones([6], DType.Int64), "sum"));
        Assert.StartsWith("ScatterReduce: Expected self.dtype to be equal to src.dtype", dtype.Message);
        Assert.Throws<ArgumentException>(() => x.ScatterReduce(0, Tensor.FromArray(new long[] { 4 }, 1), Src, "sum"));
    }

    [Theory]
    [InlineData("sum", true)]
    [InlineData("sum", false)]
    [InlineData("prod", true)]
    [InlineData("prod", false)]
    [InlineData("mean", true)]
    [InlineData("mean", false)]
    [InlineData("amax", true)]
    [InlineData("amin", false)]
    public void GradientsMatchFiniteDifferences(string reduce, bool includeSelf)
    {
        var index = Tensor.FromArray(new long[] { 0, 2, 2, 1, 0, 2, 2, 0 }, 2, 4);
        GradCheck.Check(x => x[0].ScatterReduce(0, index, x[1], reduce, includeSelf), Tensor.Randn([3, 4], Rng), Tensor.Randn([2, 4], Rng));
    }

    [Fact]
    public void ProdGradientOfAZeroFactorIsTheProductOfTheOthers()
    {
        var self = Tensor.FromArray(new[] { 2f, 3f }, 2);
        var src = Tensor.FromArray(new[] { 0f, 5f, 0f, 7f }, 4);
        self.RequiresGrad = src.RequiresGrad = true;

        self.ScatterReduce(0, Tensor.FromArray(new long[] { 0, 0, 1, 1 }, 4), src, "prod").Sum().Backward();

        Assert.Equal(new[] { 0f, 0f }, self.Grad!.ToFloatArray());
        Assert.Equal(new[] { 10f, 0f, 21f, 0f }, src.Grad!.ToFloatArray());
    }

    [Fact]
    public void AmaxSharesTheGradientAmongEqualWinners()
    {
        var self = Tensor.FromArray(new[] { 4f, 0f }, 2);
        var src = Tensor.FromArray(new[] { 4f, 4f, 1f }, 3);
        self.RequiresGrad = src.RequiresGrad = true;

        self.ScatterReduce(0, Tensor.FromArray(new long[] { 0, 0, 1 }, 3), src, "amax").Sum().Backward();

        Assert.Equal(new[] { 1f / 3, 0f }, self.Grad!.ToFloatArray());
        Assert.Equal(new[] { 1f / 3, 1f / 3, 1f }, src.Grad!.ToFloatArray());
    }
}
