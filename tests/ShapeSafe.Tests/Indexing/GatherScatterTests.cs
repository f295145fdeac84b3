using ShapeSafe.NN;
using ShapeSafe.Tests.TestSupport;

namespace ShapeSafe.Tests.Indexing;

/// <summary>
/// Gather, Scatter, ScatterAdd and OneHot. Expected values are the examples of PyTorch's documentation for
/// torch.gather, Tensor.scatter_, Tensor.scatter_add_ and F.one_hot (checked against LibTorch 2.10 by
/// benchmarks/ShapeSafe.Conformance, which also compares the gradients).
/// </summary>
public class GatherScatterTests
{
    static readonly Generator Rng = new(15);

    static Tensor Index(long[] values, params int[] shape) => Tensor.FromArray(values, shape);

    [Fact]
    public void GatherPicksAlongTheDimAndHasTheIndexShape()
    {
        var x = Tensor.FromArray(new[] { 1f, 2f, 3f, 4f }, 2, 2);

        var y = x.Gather(1, Index([0, 0, 1, 0], 2, 2));

        Assert.Equal(new[] { 2, 2 }, y.Shape);
        Assert.Equal(new[] { 1f, 1f, 4f, 3f }, y.ToFloatArray());
        // A smaller index along the other dims, and Int64 data.
        var picked = Tensor.FromArray(new long[] { 10, 11, 12, 20, 21, 22 }, 2, 3).Gather(0, Index([1, 0], 1, 2));
        Assert.Equal(DType.Int64, picked.DType);
        Assert.Equal(new long[] { 20, 11 }, picked.ToInt64Array());
    }

    [Fact]
    public void GatherRefusesOtherRanksLargerIndicesAndOutOfBoundsValues()
    {
        var x = Tensor.Zeros(3, 3);

        var rank = Assert.Throws<ShapeException>(() => x.Gather(0, Index([0, 1], 2)));
        Assert.Equal("Gather: Index tensor must have the same number of dimensions as input tensor: index [2], input [3, 3]", rank.Message);
        var larger = Assert.Throws<ShapeException>(() => x.Gather(1, Index(new long[8], 4, 2)));
        Assert.Equal("Gather: Size does not match at dimension 0 expected index [4, 2] to be no larger than self [3, 3] apart from dimension 1", larger.Message);
        var bounds = Assert.Throws<ArgumentException>(() => x.Gather(0, Index([0, 3], 1, 2)));
        Assert.StartsWith("Gather: index 3 is out of bounds for dimension 0 with size 3", bounds.Message);
        Assert.Throws<ArgumentException>(() => x.Gather(0, Index([-1], 1, 1)));
        Assert.Throws<ArgumentException>(() => x.Gather(0, Tensor.Zeros(1, 1)));
    }

    [Fact]
    public void ScatterWritesSourceValuesWhereTheIndexPoints()
    {
        var src = Tensor.Arange(1, 11).Reshape(2, 5).ToFloatArray();
        var source = Tensor.FromArray(src, 2, 5);

        var down = Tensor.Zeros(3, 5).Scatter(0, Index([0, 1, 2, 0], 1, 4), source);
        var across = Tensor.Zeros(3, 5).Scatter(1, Index([0, 1, 2, 0, 1, 4], 2, 3), source);

        Assert.Equal(new[] { 1f, 0, 0, 4, 0, 0, 2, 0, 0, 0, 0, 0, 3, 0, 0 }, down.ToFloatArray());
        Assert.Equal(new[] { 1f, 2, 3, 0, 0, 6, 7, 0, 0, 8, 0, 0, 0, 0, 0 }, across.ToFloatArray());
    }

    [Fact]
    public void ScatterAValueAndScatterAddAccumulate()
    {
        var filled = Tensor.Full([2, 4], 2f).Scatter(1, Index([2, 3], 2, 1), 1.23f);
        Assert.Equal(new[] { 2f, 2, 1.23f, 2, 2, 2, 2, 1.23f }, filled.ToFloatArray());

        var added = Tensor.Zeros(3, 5).ScatterAdd(0, Index([0, 1, 2, 0, 0, 0, 1, 2, 2, 2], 2, 5), Tensor.Ones(2, 5));
        Assert.Equal(new[] { 2f, 0, 0, 1, 1, 0, 2, 0, 0, 0, 0, 0, 2, 1, 1 }, added.ToFloatArray());
    }

    [Fact]
    public void ScatterLeavesItsInputAloneAndRefusesMismatches()
    {
        var x = Tensor.Zeros(2, 2);
        x.Scatter(0, Index([1, 1], 1, 2), Tensor.Ones(1, 2));
        Assert.Equal(new float[4], x.ToFloatArray());

        var e = Assert.Throws<ShapeException>(() => x.Scatter(0, Index([0, 0, 0], 1, 3), Tensor.Ones(1, 3)));
        Assert.Equal("Scatter: Expected index [1, 3] to be no larger than self [2, 2] apart from dimension 0 and to be no larger size than src [1, 3] (at dimension 1)", e.Message);
        Assert.Throws<ShapeException>(() => x.ScatterAdd(0, Index([0, 0], 1, 2), Tensor.Ones(1, 1)));
        Assert.Throws<ArgumentException>(() => x.Scatter(0, Index([0, 0], 1, 2), Tensor.Ones([1, 2], DType.Int64)));
    }

    [Fact]
    public void GradientsMatchFiniteDifferences()
    {
        var repeated = Index([2, 0, 2, 1, 0, 0], 2, 3);
        GradCheck.Check(x => x[0].Gather(0, repeated), Tensor.Randn([3, 3], Rng));
        GradCheck.Check(x => x[0].Gather(1, Index([1, 1, 0, 2], 2, 2)), Tensor.Randn([3, 3], Rng));
        // No position written twice: PyTorch's src gradient also reaches an overwritten value, which finite differences do not see.
        var distinct = Index([1, 0, 2, 2, 1, 0], 2, 3);
        GradCheck.Check(x => x[0].Scatter(1, distinct, x[1]), Tensor.Randn([2, 4], Rng), Tensor.Randn([2, 3], Rng));
        GradCheck.Check(x => x[0].Scatter(0, distinct, x[1]), Tensor.Randn([3, 3], Rng), Tensor.Randn([3, 4], Rng));
        GradCheck.Check(x => x[0].Scatter(0, distinct, 0.5f), Tensor.Randn([3, 3], Rng));
        GradCheck.Check(x => x[0].ScatterAdd(0, repeated, x[1]), Tensor.Randn([3, 4], Rng), Tensor.Randn([2, 3], Rng));
    }

    [Fact]
    public void OneHotEncodesClassIndicesAsInt64()
    {
        var classes = Index([0, 2, 1], 3);

        var encoded = F.OneHot(classes, 4);
        var inferred = F.OneHot(Index([1, 0, 1, 2], 2, 2));

        Assert.Equal(DType.Int64, encoded.DType);
        Assert.Equal(new[] { 3, 4 }, encoded.Shape);
        Assert.Equal(new long[] { 1, 0, 0, 0, 0, 0, 1, 0, 0, 1, 0, 0 }, encoded.ToInt64Array());
        Assert.Equal(new[] { 2, 2, 3 }, inferred.Shape);
        Assert.Equal(new long[] { 0, 1, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1 }, inferred.ToInt64Array());
        Assert.StartsWith("OneHot: Class values must be smaller than num_classes (2), got 2", Assert.Throws<ArgumentException>(() => F.OneHot(classes, 2)).Message);
        Assert.StartsWith("OneHot: Class values must be non-negative, got -1", Assert.Throws<ArgumentException>(() => F.OneHot(Index([-1], 1), 3)).Message);
        Assert.Throws<ArgumentException>(() => F.OneHot(Tensor.Zeros(2)));
    }
}
