using ConcreteRules = ShapeSafe.Shapes.ShapeRules<int, ShapeSafe.Shapes.ConcreteDims>;

namespace ShapeSafe.Shapes.Tests.Rules;

public class MatmulRuleTests
{
    [Fact]
    public void Matmul_follows_PyTorchs_dispatch_on_ranks()
    {
        Assert.Equal([], ConcreteRules.Matmul([3], [3]));
        Assert.Equal([2], ConcreteRules.Matmul([2, 3], [3]));
        Assert.Equal([4], ConcreteRules.Matmul([3], [3, 4]));
        Assert.Equal([2, 4], ConcreteRules.Matmul([2, 3], [3, 4]));
        Assert.Equal([5, 2, 4], ConcreteRules.Matmul([5, 2, 3], [3, 4]));
        Assert.Equal([1, 2, 4], ConcreteRules.Matmul([3], [1, 2, 3, 4]));
        Assert.Equal([3, 3, 2, 4], ConcreteRules.Matmul([2, 1], [3, 3, 1, 4]));
        Assert.Equal([7, 5, 2, 4], ConcreteRules.Matmul([7, 1, 2, 3], [5, 3, 4]));
    }

    [Fact]
    public void Matmul_names_both_shapes_and_the_inner_dims()
    {
        var e = RuleAssert.Refuses("Matmul", () => ConcreteRules.Matmul([2, 3], [4, 5]), "[2, 3]", "[4, 5]", "3 and 4");
        Assert.Equal("Matmul: [2, 3] × [4, 5]: inner dims 3 and 4 differ", e.Message);
    }

    [Fact]
    public void Matmul_names_batch_dims_that_do_not_broadcast()
    {
        RuleAssert.Refuses("Matmul", () => ConcreteRules.Matmul([2, 3, 4], [5, 4, 6]), "[2, 3, 4]", "[5, 4, 6]", "batch dims [2] and [5]");
    }

    [Fact]
    public void Matmul_refuses_scalars()
    {
        RuleAssert.Refuses("Matmul", () => ConcreteRules.Matmul([], [3]), "[]", "[3]", "at least 1 dimension");
    }

    [Fact]
    public void Mm_takes_only_matrices()
    {
        Assert.Equal([5, 4], ConcreteRules.Mm([5, 2], [2, 4]));
        RuleAssert.Refuses("Mm", () => ConcreteRules.Mm([2, 3], [4, 5]), "[2, 3]", "[4, 5]", "3 and 4");
        RuleAssert.Refuses("Mm", () => ConcreteRules.Mm([2, 3, 4], [4, 5]), "[2, 3, 4]", "[4, 5]", "2-D", "3-D");
    }

    [Fact]
    public void Bmm_takes_equal_batches_without_broadcasting()
    {
        Assert.Equal([2, 1, 3], ConcreteRules.Bmm([2, 1, 4], [2, 4, 3]));
        RuleAssert.Refuses("Bmm", () => ConcreteRules.Bmm([1, 3, 2], [2, 2, 2]), "[1, 3, 2]", "[2, 2, 2]", "1 and 2", "dim 0");
        RuleAssert.Refuses("Bmm", () => ConcreteRules.Bmm([2, 3, 2], [2, 3, 2]), "[2, 3, 2]", "2 and 3");
        RuleAssert.Refuses("Bmm", () => ConcreteRules.Bmm([3, 2], [2, 3, 2]), "[3, 2]", "3-D", "2-D");
    }

    [Fact]
    public void Dot_takes_two_vectors_of_one_size()
    {
        Assert.Equal([], ConcreteRules.Dot([6], [6]));
        RuleAssert.Refuses("Dot", () => ConcreteRules.Dot([3], [4]), "[3]", "[4]", "3 and 4", "dim 0");
        RuleAssert.Refuses("Dot", () => ConcreteRules.Dot([3, 1], [3]), "[3, 1]", "1-D");
    }

    [Fact]
    public void Mv_takes_a_matrix_and_a_vector()
    {
        Assert.Equal([6], ConcreteRules.Mv([6, 2], [2]));
        RuleAssert.Refuses("Mv", () => ConcreteRules.Mv([6, 2], [3]), "[6, 2]", "[3]", "2 and 3");
        RuleAssert.Refuses("Mv", () => ConcreteRules.Mv([6], [6]), "[6]", "2-D matrix");
    }
}
