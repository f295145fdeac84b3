using ConcreteRules = ShapeSafe.Shapes.ShapeRules<int, ShapeSafe.Shapes.ConcreteDims>;

namespace ShapeSafe.Shapes.Tests.Rules;

/// <summary>Rules that compute a new shape: repeat, flatten, index_select, reductions.</summary>
public class ShapeRuleTests
{
    [Fact]
    public void Repeat_pads_with_leading_ones_and_multiplies()
    {
        Assert.Equal([2, 9], ConcreteRules.Repeat([3], [2, 3]));
        RuleAssert.Refuses("Repeat", () => ConcreteRules.Repeat([2, 3], [2]), "[2]", "[2, 3]");
        RuleAssert.Refuses("Repeat", () => ConcreteRules.Repeat([3], [-1]), "[-1]", "[3]");
    }

    [Fact]
    public void Flatten_merges_a_range_of_dims()
    {
        Assert.Equal([24], ConcreteRules.Flatten([2, 3, 4]));
        Assert.Equal([2, 12], ConcreteRules.Flatten([2, 3, 4], 1));
        Assert.Equal([1], ConcreteRules.Flatten([]));
        RuleAssert.Refuses("Flatten", () => ConcreteRules.Flatten([2, 3, 4], 2, 1), "start_dim (2)", "end_dim (1)", "[2, 3, 4]");
    }

    [Fact]
    public void IndexSelect_resizes_the_dim_to_the_index_length()
    {
        Assert.Equal([2, 5], ConcreteRules.IndexSelect([2, 3], 1, [5]));
        RuleAssert.Refuses("IndexSelect", () => ConcreteRules.IndexSelect([2, 3], 1, [2, 2]), "[2, 2]", "[2, 3]");
    }

    [Fact]
    public void Reductions_drop_or_keep_the_reduced_dims()
    {
        Assert.Equal([2, 4], ConcreteRules.Reduce([2, 3, 4], [1], keepDim: false));
        Assert.Equal([2, 1, 1], ConcreteRules.Reduce([2, 3, 4], [-1, 1], keepDim: true));
        Assert.Equal([], ConcreteRules.Reduce([2, 3, 4], null, keepDim: false));
        RuleAssert.Refuses("Sum", () => ConcreteRules.Reduce([2, 3, 4], [1, -2], keepDim: false), "dim 1", "multiple times", "[1, -2]", "[2, 3, 4]");
        RuleAssert.Refuses("Mean", () => ConcreteRules.Reduce([2, 3], [2], false, "Mean"), "[-2, 1]", "got 2", "[2, 3]");
    }
}
