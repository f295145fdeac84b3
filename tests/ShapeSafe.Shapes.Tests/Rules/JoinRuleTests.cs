using ConcreteRules = ShapeSafe.Shapes.ShapeRules<int, ShapeSafe.Shapes.ConcreteDims>;

namespace ShapeSafe.Shapes.Tests.Rules;

public class JoinRuleTests
{
    [Fact]
    public void Cat_adds_sizes_along_the_dim()
    {
        Assert.Equal([2, 8], ConcreteRules.Cat([[2, 3], [2, 5]], 1));
        Assert.Equal([4, 5, 4], ConcreteRules.Cat([[4, 2, 4], [4, 3, 4]], -2));
        // PyTorch skips 1-D empty tensors in cat (legacy behaviour).
        Assert.Equal([2, 3], ConcreteRules.Cat([[0], [2, 3]], 0));
    }

    [Fact]
    public void Cat_names_the_dim_the_sizes_the_tensor_and_every_shape()
    {
        var e = RuleAssert.Refuses("Cat", () => ConcreteRules.Cat([[2, 3], [4, 4]], 0), "dimension 0", "size 3", "size 4", "tensor number 1", "dim 1", "[2, 3], [4, 4]");
        Assert.Equal(
            "Cat: sizes of tensors must match except in dimension 0. Expected size 3 but got size 4 for tensor number 1 at dim 1; shapes [2, 3], [4, 4]",
            e.Message);
    }

    [Fact]
    public void Cat_refuses_different_ranks_scalars_and_empty_lists()
    {
        RuleAssert.Refuses("Cat", () => ConcreteRules.Cat([[2, 3], [2, 3, 1]], 0), "2 and 3", "[2, 3], [2, 3, 1]");
        RuleAssert.Refuses("Cat", () => ConcreteRules.Cat([[2], []], 0), "zero-dimensional", "position 1");
        RuleAssert.Refuses("Cat", () => ConcreteRules.Cat([], 0), "non-empty");
        RuleAssert.Refuses("Cat", () => ConcreteRules.Cat([[2, 3]], 2), "[-2, 1]", "got 2", "[2, 3]");
    }

    [Fact]
    public void Stack_inserts_a_dim_of_the_tensor_count()
    {
        Assert.Equal([2, 3, 4], ConcreteRules.Stack([[3, 4], [3, 4]], 0));
        Assert.Equal([3, 4, 2], ConcreteRules.Stack([[3, 4], [3, 4]], -1));
        Assert.Equal([3, 1], ConcreteRules.Stack([[3]], 1));
    }

    [Fact]
    public void Stack_names_the_first_shape_and_the_one_that_differs()
    {
        var e = RuleAssert.Refuses("Stack", () => ConcreteRules.Stack([[3, 2, 2], [3, 2, 2], [3, 1, 2]], -1), "[3, 2, 2]", "[3, 1, 2]", "entry 2");
        Assert.Equal("Stack: expects each tensor to be equal size, but got [3, 2, 2] at entry 0 and [3, 1, 2] at entry 2", e.Message);
        RuleAssert.Refuses("Stack", () => ConcreteRules.Stack([[3, 4]], 3), "[-3, 2]", "got 3");
    }

    [Fact]
    public void Split_cuts_pieces_of_a_size_with_a_smaller_last_one()
    {
        Assert.Equal([2, 2, 1], ConcreteRules.SplitSizes([5, 10], 2, 0));
        Assert.Equal([10], ConcreteRules.SplitSizes([5, 10], 20, 1));
        Assert.Equal([0], ConcreteRules.SplitSizes([0, 3], 2, 0));
        RuleAssert.Refuses("Split", () => ConcreteRules.SplitSizes([5, 10], 0, 1), "split size 0", "dimension 1", "size 10", "[5, 10]");
    }

    [Fact]
    public void Split_with_sizes_must_sum_to_the_dim()
    {
        ConcreteRules.CheckSplitWithSizes([5, 10], [3, 7], 1);
        var e = RuleAssert.Refuses("Split", () => ConcreteRules.CheckSplitWithSizes([5, 10], [3, 6], 1), "[3, 6]", "10", "dimension 1", "[5, 10]", "sum to 9");
        Assert.Equal("Split: split sizes [3, 6] must sum exactly to 10 (the size at dimension 1 of shape [5, 10]), but sum to 9", e.Message);
    }

    [Fact]
    public void Chunk_uses_ceil_sized_pieces_as_PyTorch_does()
    {
        // The seed claims 10 in 3 chunks gives 4, 3, 3; PyTorch gives 4, 4, 2.
        Assert.Equal([4, 4, 2], ConcreteRules.ChunkSizes([5, 10], 3, 1));
        Assert.Equal([2, 2, 2], ConcreteRules.ChunkSizes([6], 4, 0));
        Assert.Equal([0, 0, 0], ConcreteRules.ChunkSizes([0], 3, 0));
        RuleAssert.Refuses("Chunk", () => ConcreteRules.ChunkSizes([6], 0, 0), "greater than 0", "got: 0", "[6]");
    }
}
