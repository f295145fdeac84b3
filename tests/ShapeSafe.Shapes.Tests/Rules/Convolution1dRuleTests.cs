using ConcreteRules = ShapeSafe.Shapes.ShapeRules<int, ShapeSafe.Shapes.ConcreteDims>;

namespace ShapeSafe.Shapes.Tests.Rules;

public class Convolution1dRuleTests
{
    [Fact]
    public void Conv1d_slides_over_the_last_dim()
    {
        Assert.Equal([2, 6, 6], ConcreteRules.Conv1d([2, 4, 11], [6, 4, 3], 2, 1, 1));
        Assert.Equal([4, 5], ConcreteRules.Conv1d([4, 9], [4, 2, 3], 1, 0, 2, groups: 2));
    }

    [Fact]
    public void Conv1d_names_the_channels_and_the_kernel()
    {
        var e = RuleAssert.Refuses("Conv1d", () => ConcreteRules.Conv1d([1, 2, 5], [1, 1, 3], 1, 0, 1), "2 channels", "dim 1", "[1, 2, 5]", "[1, 1, 3]");
        Assert.Equal("Conv1d: input [1, 2, 5] has 2 channels at dim 1, but weight [1, 1, 3] expects 1 (groups = 1)", e.Message);
        RuleAssert.Refuses("Conv1d", () => ConcreteRules.Conv1d([1, 1, 2], [1, 1, 3], 1, 0, 1), "kernel size (3)", "[1, 1, 2]");
        RuleAssert.Refuses("Conv1d", () => ConcreteRules.Conv1d([1, 1, 2, 2], [1, 1, 3], 1, 0, 1), "2-D", "3-D", "[1, 1, 2, 2]");
    }
}
