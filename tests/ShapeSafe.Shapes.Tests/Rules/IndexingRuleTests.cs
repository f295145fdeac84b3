using ConcreteRules = ShapeSafe.Shapes.ShapeRules<int, ShapeSafe.Shapes.ConcreteDims>;

namespace ShapeSafe.Shapes.Tests.Rules;

/// <summary>Gather, scatter, one_hot, sort, topk, cumsum and the triangles.</summary>
public class IndexingRuleTests
{
    [Fact]
    public void Gather_takes_the_index_shape()
    {
        Assert.Equal([2, 4], ConcreteRules.Gather([3, 4], 0, [2, 4]));
        Assert.Equal([3, 7], ConcreteRules.Gather([3, 4], 1, [3, 7]));
        Assert.Equal([0, 9], ConcreteRules.Gather([3, 4], 1, [0, 9]));
        Assert.Equal([1], ConcreteRules.Gather([], 0, [1]));
    }

    [Fact]
    public void Gather_names_the_index_the_input_and_the_dim()
    {
        var e = RuleAssert.Refuses("Gather", () => ConcreteRules.Gather([3, 3], 1, [4, 2]), "dimension 0", "[4, 2]", "[3, 3]", "apart from dimension 1");
        Assert.Equal("Gather: Size does not match at dimension 0 expected index [4, 2] to be no larger than self [3, 3] apart from dimension 1", e.Message);
        RuleAssert.Refuses("Gather", () => ConcreteRules.Gather([3, 3], 0, [3]), "same number of dimensions", "[3]", "[3, 3]");
        RuleAssert.Refuses("Gather", () => ConcreteRules.Gather([3, 3], 2, [3, 3]), "[-2, 1]", "got 2");
    }

    [Fact]
    public void Scatter_keeps_the_input_shape_and_bounds_the_index_by_src()
    {
        Assert.Equal([3, 5], ConcreteRules.Scatter([3, 5], 0, [2, 5], [2, 5]));
        Assert.Equal([3, 5], ConcreteRules.Scatter([3, 5], 1, [3, 9], null));
        Assert.Equal([3, 5], ConcreteRules.Scatter([3, 5], 0, [4, 2], [4, 3]));
        RuleAssert.Refuses("Scatter", () => ConcreteRules.Scatter([3, 5], 0, [2, 5], [2, 4]), "[2, 5]", "[3, 5]", "src [2, 4]", "at dimension 1");
        RuleAssert.Refuses("ScatterAdd", () => ConcreteRules.Scatter([3, 5], 0, [2, 6], [2, 6], "ScatterAdd"), "[2, 6]", "[3, 5]", "apart from dimension 0");
        RuleAssert.Refuses("Scatter", () => ConcreteRules.Scatter([3, 5], 0, [2, 5], [10]), "src tensor", "[2, 5]", "[10]");
    }

    [Fact]
    public void OneHot_appends_the_class_dim()
    {
        Assert.Equal([2, 3, 10], ConcreteRules.OneHot([2, 3], 10));
        Assert.Equal([4], ConcreteRules.OneHot([], 4));
        RuleAssert.Refuses("OneHot", () => ConcreteRules.OneHot([2], 0), "positive", "got 0", "[2]");
    }

    [Fact]
    public void Sort_and_cumsum_keep_the_shape_along_an_existing_dim()
    {
        Assert.Equal([2, 3], ConcreteRules.AlongDim([2, 3], -1));
        Assert.Equal([], ConcreteRules.AlongDim([], 0, "Cumsum"));
        RuleAssert.Refuses("Cumsum", () => ConcreteRules.AlongDim([2, 3], 2, "Cumsum"), "[-2, 1]", "got 2", "[2, 3]");
    }

    [Fact]
    public void Topk_resizes_the_dim_to_k()
    {
        Assert.Equal([2, 3], ConcreteRules.Topk([2, 8], 3, -1));
        Assert.Equal([0, 8], ConcreteRules.Topk([2, 8], 0, 0));
        Assert.Equal([], ConcreteRules.Topk([], 1, 0));
        RuleAssert.Refuses("Topk", () => ConcreteRules.Topk([], 0, 0), "k = 0", "[]");
        var e = RuleAssert.Refuses("Topk", () => ConcreteRules.Topk([2, 8], 9, 1), "k = 9", "dimension 1", "[2, 8]", "size 8");
        Assert.Equal("Topk: selected index k out of range: k = 9, but dimension 1 of input [2, 8] has size 8", e.Message);
        RuleAssert.Refuses("Topk", () => ConcreteRules.Topk([2, 8], -1, 1), "k = -1");
    }

    [Fact]
    public void Triangles_need_a_matrix()
    {
        Assert.Equal([4, 2, 3], ConcreteRules.Triangle([4, 2, 3]));
        RuleAssert.Refuses("Triu", () => ConcreteRules.Triangle([3], "Triu"), "at least 2 dimensions", "[3]");
    }
}
