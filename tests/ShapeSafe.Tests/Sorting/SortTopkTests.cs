using ShapeSafe.Tests.TestSupport;

namespace ShapeSafe.Tests.Sorting;

/// <summary>
/// Sort, Argsort, Topk, Cumsum, Tril and Triu. Values are worked by hand; the orders of equal values and of NaN
/// are LibTorch 2.10's (benchmarks/ShapeSafe.Conformance compares sort and topk indices on inputs full of ties).
/// </summary>
public class SortTopkTests
{
    static readonly Generator Rng = new(16);

    [Fact]
    public void SortKeepsTheOrderOfTiesOnShortLines()
    {
        var x = Tensor.FromArray(new[] { 3f, 1f, 2f, 1f });

        var (up, upIndex) = x.Sort();
        var (down, downIndex) = x.Sort(descending: true);

        Assert.Equal(new[] { 1f, 1f, 2f, 3f }, up.ToFloatArray());
        Assert.Equal(new long[] { 1, 3, 2, 0 }, upIndex.ToInt64Array());
        Assert.Equal(DType.Int64, upIndex.DType);
        Assert.Equal(new[] { 3f, 2f, 1f, 1f }, down.ToFloatArray());
        Assert.Equal(new long[] { 0, 2, 1, 3 }, downIndex.ToInt64Array());
        Assert.Equal(new long[] { 1, 3, 2, 0 }, x.Argsort().ToInt64Array());
    }

    [Fact]
    public void UnstableSortOrdersLongLinesOfTiesAsLibTorchDoes()
    {
        // 0, 1, 0, 1, ... (20 elements). LibTorch 2.10's answers: stable=False runs libstdc++'s introsort, which
        // reorders ties on lines longer than 16; stable=True keeps the input order.
        var x = Tensor.FromArray(Enumerable.Range(0, 20).Select(j => (float)(j % 2)).ToArray());

        Assert.Equal(new long[] { 0, 2, 18, 4, 6, 16, 8, 10, 14, 12, 19, 17, 15, 13, 11, 9, 7, 5, 3, 1 }, x.Sort().Indices.ToInt64Array());
        Assert.Equal(new long[] { 1, 19, 17, 15, 13, 11, 9, 7, 5, 3, 8, 6, 10, 12, 4, 14, 16, 2, 18, 0 }, x.Sort(descending: true).Indices.ToInt64Array());
        Assert.Equal(new long[] { 0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 1, 3, 5, 7, 9, 11, 13, 15, 17, 19 }, x.Sort(stable: true).Indices.ToInt64Array());
        Assert.Equal(x.Sort().Indices.ToInt64Array(), x.Argsort().ToInt64Array());
        // An expanded dim (stride 0) is left in order, as ATen skips sorting it.
        Assert.Equal(Enumerable.Range(0, 20).Select(i => (long)i), Tensor.Ones(1).Expand(20).Sort().Indices.ToInt64Array());
    }

    [Fact]
    public void SortPutsNaNLastAscendingAndFirstDescending()
    {
        var x = Tensor.FromArray(new[] { float.NaN, 1f, 0f });

        Assert.Equal(new long[] { 2, 1, 0 }, x.Sort().Indices.ToInt64Array());
        Assert.Equal(new long[] { 0, 1, 2 }, x.Sort(descending: true).Indices.ToInt64Array());
    }

    [Fact]
    public void SortAlongAnyDimAndOnInt64()
    {
        var x = Tensor.FromArray(new long[] { 5, 1, 2, 4, 3, 0 }, 3, 2);

        var (values, indices) = x.Sort(0);

        Assert.Equal(DType.Int64, values.DType);
        Assert.Equal(new long[] { 2, 0, 3, 1, 5, 4 }, values.ToInt64Array());
        Assert.Equal(new long[] { 1, 2, 2, 0, 0, 1 }, indices.ToInt64Array());
        Assert.Equal("Sort: dimension out of range (expected to be in range of [-2, 1], but got 2) for a tensor of shape [3, 2]",
            Assert.Throws<ShapeException>(() => x.Sort(2)).Message);
    }

    [Fact]
    public void TopkGivesTheLargestFirstOrTheSmallest()
    {
        var x = Tensor.FromArray(new[] { 1f, 4f, 2f, 8f, 5f });

        var (values, indices) = x.Topk(2);
        var (low, lowIndex) = x.Topk(3, largest: false);

        Assert.Equal(new[] { 8f, 5f }, values.ToFloatArray());
        Assert.Equal(new long[] { 3, 4 }, indices.ToInt64Array());
        Assert.Equal(new[] { 1f, 2f, 4f }, low.ToFloatArray());
        Assert.Equal(new long[] { 0, 2, 1 }, lowIndex.ToInt64Array());
        Assert.Equal(new[] { 0 }, x.Topk(0).Values.Shape);
        Assert.Equal("Topk: selected index k out of range: k = 6, but dimension 0 of input [5] has size 5",
            Assert.Throws<ShapeException>(() => x.Topk(6)).Message);
    }

    [Fact]
    public void TopkOrdersEqualValuesAsLibTorchDoes()
    {
        // LibTorch 2.10's answers (through TorchSharp 0.107): its selection, not input order, decides among ties.
        var x = Tensor.FromArray(new[] { 1f, 3f, 3f, 2f, 3f, 1f, 3f });
        Assert.Equal(new long[] { 1, 6, 4 }, x.Topk(3).Indices.ToInt64Array());
        Assert.Equal(new long[] { 1, 6, 4 }, x.Topk(3, sorted: false).Indices.ToInt64Array());
        // 130 elements and k = 2 take LibTorch's partial-sort branch (64·k ≤ n).
        var cycle = Tensor.FromArray(Enumerable.Range(0, 130).Select(j => (float)(j % 3)).ToArray());
        Assert.Equal(new long[] { 5, 2 }, cycle.Topk(2).Indices.ToInt64Array());
        Assert.Equal(new long[] { 3, 0 }, cycle.Topk(2, largest: false).Indices.ToInt64Array());
        Assert.Equal(new[] { 2f, 2f }, cycle.Topk(2).Values.ToFloatArray());
    }

    [Fact]
    public void CumsumRunsAlongTheDimAndKeepsInt64()
    {
        var x = Tensor.FromArray(new[] { 1f, 2f, 3f, 4f }, 2, 2);

        Assert.Equal(new[] { 1f, 2f, 4f, 6f }, x.Cumsum(0).ToFloatArray());
        Assert.Equal(new[] { 1f, 3f, 3f, 7f }, x.Cumsum(-1).ToFloatArray());
        var longs = Tensor.Arange(1, 5).Cumsum(0);
        Assert.Equal(DType.Int64, longs.DType);
        Assert.Equal(new long[] { 1, 3, 6, 10 }, longs.ToInt64Array());
    }

    [Fact]
    public void TrilAndTriuKeepATriangleOfTheLastTwoDims()
    {
        var ones = Tensor.Ones(2, 3, 3);

        Assert.Equal(new[] { 1f, 0, 0, 1, 1, 0, 1, 1, 1 }, ones.Tril()[1].ToFloatArray());
        Assert.Equal(new[] { 0f, 1, 1, 0, 0, 1, 0, 0, 0 }, ones.Triu(1)[0].ToFloatArray());
        Assert.Equal(new[] { 0f, 0, 0, 1, 0, 0, 1, 1, 0 }, ones.Tril(-1)[0].ToFloatArray());
        Assert.Equal(new long[] { 1, 1, 0, 1 }, Tensor.Ones([2, 2], DType.Int64).Triu().ToInt64Array());
        Assert.Equal("Tril: input tensor must have at least 2 dimensions, got shape [3]",
            Assert.Throws<ShapeException>(() => Tensor.Ones(3).Tril()).Message);
    }

    [Fact]
    public void GradientsMatchFiniteDifferences()
    {
        // Distinct values: a finite difference must not reorder equal ones.
        var distinct = Tensor.FromArray(new[] { 0.3f, -1.2f, 0.9f, 1.7f, -0.4f, 0.1f, -0.8f, 1.1f, 0.6f, -1.5f, 1.4f, -0.1f }, 3, 4);
        GradCheck.Check(x => x[0].Sort(1).Values, distinct);
        GradCheck.Check(x => x[0].Sort(0, descending: true).Values, distinct);
        GradCheck.Check(x => x[0].Topk(2).Values, distinct);
        GradCheck.Check(x => x[0].Topk(2, 0, largest: false).Values, distinct);
        GradCheck.Check(x => x[0].Cumsum(1), Tensor.Randn([3, 4], Rng));
        GradCheck.Check(x => x[0].Cumsum(0), Tensor.Randn([3, 2, 2], Rng));
        GradCheck.Check(x => x[0].Tril(), Tensor.Randn([2, 3, 4], Rng));
        GradCheck.Check(x => x[0].Triu(-1), Tensor.Randn([4, 3], Rng));
        distinct.RequiresGrad = true;
        Assert.Equal("SortBackward", distinct.Sort().Values.GradFn);
        Assert.Equal("TopkBackward", distinct.Topk(1).Values.GradFn);
        Assert.Equal("CumsumBackward", distinct.Cumsum(0).GradFn);
        Assert.Equal("TrilBackward", distinct.Tril().GradFn);
        Assert.Null(distinct.Argsort().GradFn);
    }
}
