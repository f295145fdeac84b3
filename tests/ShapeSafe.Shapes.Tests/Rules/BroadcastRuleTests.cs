using ConcreteRules = ShapeSafe.Shapes.ShapeRules<int, ShapeSafe.Shapes.ConcreteDims>;

namespace ShapeSafe.Shapes.Tests.Rules;

public class BroadcastRuleTests
{
    [Fact]
    public void Shapes_align_at_their_last_dims_and_size_one_stretches()
    {
        Assert.Equal([3, 2, 4, 4], ConcreteRules.Broadcast([3, 2, 4, 4], [2, 4, 1]));
        Assert.Equal([1, 3, 1], ConcreteRules.Broadcast([3, 1], [1, 1, 1]));
        Assert.Equal([4, 0], ConcreteRules.Broadcast([4, 1], [0]));
        Assert.Equal([], ConcreteRules.Broadcast([], []));
    }

    [Fact]
    public void Mismatched_sizes_name_both_shapes_both_sizes_and_the_dim()
    {
        var e = RuleAssert.Refuses("Add", () => ConcreteRules.Broadcast([4, 1, 2], [4, 3], "Add"), "[4, 1, 2]", "[4, 3]", "(2)", "(3)", "dimension 2");
        Assert.Equal(
            "Add: [4, 1, 2] and [4, 3] do not broadcast: the size of tensor a (2) must match the size of tensor b (3) at non-singleton dimension 2",
            e.Message);
    }

    [Fact]
    public void Many_shapes_broadcast_left_to_right()
    {
        Assert.Equal([2, 3, 4], ConcreteRules.Broadcast("Where", [1, 4], [3, 1], [2, 1, 1]));
        RuleAssert.Refuses("Where", () => ConcreteRules.Broadcast("Where", [2], [2], [3]), "[2]", "[3]");
    }
}
