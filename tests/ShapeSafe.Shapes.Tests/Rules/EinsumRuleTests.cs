using ConcreteRules = ShapeSafe.Shapes.ShapeRules<int, ShapeSafe.Shapes.ConcreteDims>;

namespace ShapeSafe.Shapes.Tests.Rules;

public class EinsumRuleTests
{
    [Theory]
    [InlineData("ij,jk->ik", new[] { 2, 3 }, new[] { 3, 4 }, new[] { 2, 4 })]
    [InlineData("ij,jk", new[] { 2, 3 }, new[] { 3, 4 }, new[] { 2, 4 })]
    [InlineData("i,i->", new[] { 4 }, new[] { 4 }, new int[0])]
    [InlineData("i,j->ij", new[] { 2 }, new[] { 5 }, new[] { 2, 5 })]
    [InlineData("...ij,...jk", new[] { 7, 2, 3 }, new[] { 3, 4 }, new[] { 7, 2, 4 })]
    [InlineData("...ij,...jk->...ik", new[] { 7, 1, 2, 3 }, new[] { 5, 3, 4 }, new[] { 7, 5, 2, 4 })]
    public void Two_operand_equations_give_PyTorchs_shapes(string equation, int[] a, int[] b, int[] expected)
    {
        Assert.Equal(expected, ConcreteRules.Einsum(equation, [a, b]).OutputShape);
    }

    [Fact]
    public void Batched_matrix_product()
    {
        Assert.Equal([5, 2, 4], ConcreteRules.Einsum("bij,bjk->bik", [[5, 2, 3], [5, 3, 4]]).OutputShape);
    }

    [Fact]
    public void A_repeated_label_takes_the_diagonal()
    {
        Assert.Equal([3], ConcreteRules.Einsum("ii->i", [[3, 3]]).OutputShape);
        Assert.Equal([], ConcreteRules.Einsum("ii", [[3, 3]]).OutputShape);
    }

    [Fact]
    public void The_implicit_output_lists_labels_used_once_in_alphabetical_order()
    {
        // "ba" has the implicit output "ab": a transpose.
        Assert.Equal([3, 2], ConcreteRules.Einsum("ba", [[2, 3]]).OutputShape);
        Assert.Equal([4, 2], ConcreteRules.Einsum("ji,jk->ki", [[3, 2], [3, 4]]).OutputShape);
    }

    [Fact]
    public void A_label_whose_sizes_differ_names_the_label_the_operand_and_every_shape()
    {
        var e = RuleAssert.Refuses("Einsum", () => ConcreteRules.Einsum("ij,jk->ik", [[2, 3], [4, 5]]),
            "subscript j", "size 4", "size 3", "operand 1", "[2, 3], [4, 5]", "'ij,jk->ik'");
        Assert.Equal(
            "Einsum: subscript j has size 4 at dim 0 of operand 1 (shape [4, 5]), which does not match size 3 elsewhere in 'ij,jk->ik'; shapes [2, 3], [4, 5]",
            e.Message);
    }

    [Fact]
    public void Malformed_equations_are_refused()
    {
        RuleAssert.Refuses("Einsum", () => ConcreteRules.Einsum("ij,jk->ik", [[2, 3]]), "2 operand subscripts", "1 operands");
        RuleAssert.Refuses("Einsum", () => ConcreteRules.Einsum("ijk,jk->ik", [[2, 3], [3, 4]]), "operand 0", "[2, 3]", "3 subscripts");
        RuleAssert.Refuses("Einsum", () => ConcreteRules.Einsum("ij->iz", [[2, 3]]), "z", "does not appear");
        RuleAssert.Refuses("Einsum", () => ConcreteRules.Einsum("ij->ii", [[2, 3]]), "i", "more than once");
        RuleAssert.Refuses("Einsum", () => ConcreteRules.Einsum("i1,1->i", [[2, 3], [3]]), "'1'");
    }
}
