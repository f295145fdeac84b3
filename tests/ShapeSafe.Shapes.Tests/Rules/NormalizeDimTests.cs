using ConcreteRules = ShapeSafe.Shapes.ShapeRules<int, ShapeSafe.Shapes.ConcreteDims>;

namespace ShapeSafe.Shapes.Tests.Rules;

public class NormalizeDimTests
{
    [Theory]
    [InlineData(0, 0)]
    [InlineData(2, 2)]
    [InlineData(-1, 2)]
    [InlineData(-3, 0)]
    public void A_dim_of_a_rank_3_tensor_lies_in_minus_3_to_2(int dim, int expected)
    {
        Assert.Equal(expected, ConcreteRules.NormalizeDim("Sum", dim, 3));
    }

    [Theory]
    [InlineData(3)]
    [InlineData(-4)]
    public void Dims_outside_minus_rank_to_rank_minus_1_are_refused(int dim)
    {
        var e = RuleAssert.Refuses("Sum", () => ConcreteRules.NormalizeDim("Sum", dim, 3, [2, 3, 4]), "[2, 3, 4]");
        Assert.Equal(
            $"Sum: dimension out of range (expected to be in range of [-3, 2], but got {dim}) for a tensor of shape [2, 3, 4]",
            e.Message);
    }

    [Theory]
    [InlineData(3, 3)]
    [InlineData(-1, 3)]
    [InlineData(-4, 0)]
    public void An_insert_position_lies_in_minus_rank_minus_1_to_rank(int dim, int expected)
    {
        Assert.Equal(expected, ConcreteRules.NormalizeDim("Unsqueeze", dim, 3, forInsert: true));
    }

    [Theory]
    [InlineData(4)]
    [InlineData(-5)]
    public void An_insert_position_past_the_ends_is_refused(int dim)
    {
        RuleAssert.Refuses("Unsqueeze", () => ConcreteRules.NormalizeDim("Unsqueeze", dim, 3, [2, 3, 4], forInsert: true),
            "[-4, 3]", $"got {dim}", "[2, 3, 4]");
    }

    [Fact]
    public void A_scalar_accepts_dims_minus_1_and_0_as_PyTorch_does()
    {
        Assert.Equal(0, ConcreteRules.NormalizeDim("Sum", 0, 0));
        Assert.Equal(0, ConcreteRules.NormalizeDim("Sum", -1, 0));
        RuleAssert.Refuses("Sum", () => ConcreteRules.NormalizeDim("Sum", 1, 0, []), "[-1, 0]", "got 1", "[]");
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    public void A_scalar_has_no_dim_whose_size_or_stride_can_be_read(int dim)
    {
        var e = RuleAssert.Refuses("Size", () => ConcreteRules.ExistingDim("Size", dim, []), "[]");
        Assert.Equal($"Size: dimension specified as {dim} but tensor has no dimensions (shape [])", e.Message);
        Assert.Equal(1, ConcreteRules.ExistingDim("Size", -1, [2, 3]));
    }
}
