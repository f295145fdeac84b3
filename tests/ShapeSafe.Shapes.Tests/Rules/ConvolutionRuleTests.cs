using ConcreteRules = ShapeSafe.Shapes.ShapeRules<int, ShapeSafe.Shapes.ConcreteDims>;

namespace ShapeSafe.Shapes.Tests.Rules;

public class ConvolutionRuleTests
{
    static readonly int[] One = [1, 1];
    static readonly int[] Zero = [0, 0];

    [Fact]
    public void A_3x3_kernel_with_padding_1_keeps_28x28()
    {
        Assert.Equal([64, 16, 28, 28], ConcreteRules.Conv2d([64, 1, 28, 28], [16, 1, 3, 3], One, One, One));
    }

    [Fact]
    public void Conv2d_output_follows_the_window_formula()
    {
        Assert.Equal([8, 13, 13], ConcreteRules.Conv2d([3, 28, 28], [8, 3, 3, 3], [2, 2], Zero, One));
        Assert.Equal([1, 8, 24, 22], ConcreteRules.Conv2d([1, 3, 28, 28], [8, 3, 5, 7], One, Zero, One));
        Assert.Equal([1, 8, 24, 24], ConcreteRules.Conv2d([1, 3, 28, 28], [8, 3, 3, 3], One, Zero, [2, 2]));
        Assert.Equal([1, 6, 26, 26], ConcreteRules.Conv2d([1, 4, 28, 28], [6, 2, 3, 3], One, Zero, One, groups: 2));
    }

    [Fact]
    public void Conv2d_names_the_channel_mismatch_and_both_shapes()
    {
        var e = RuleAssert.Refuses("Conv2d", () => ConcreteRules.Conv2d([1, 3, 28, 28], [16, 1, 3, 3], One, One, One),
            "[1, 3, 28, 28]", "[16, 1, 3, 3]", "3 channels", "dim 1", "expects 1");
        Assert.Equal("Conv2d: input [1, 3, 28, 28] has 3 channels at dim 1, but weight [16, 1, 3, 3] expects 1 (groups = 1)", e.Message);
    }

    [Fact]
    public void Conv2d_refuses_a_kernel_larger_than_the_padded_input()
    {
        RuleAssert.Refuses("Conv2d", () => ConcreteRules.Conv2d([1, 1, 2, 2], [1, 1, 3, 3], One, Zero, One),
            "3x3", "[1, 1, 2, 2]", "[1, 1, 3, 3]", "dim 2");
    }

    [Fact]
    public void Conv2d_refuses_wrong_ranks_and_bad_arguments()
    {
        RuleAssert.Refuses("Conv2d", () => ConcreteRules.Conv2d([28, 28], [1, 1, 3, 3], One, Zero, One), "[28, 28]", "3-D", "4-D");
        RuleAssert.Refuses("Conv2d", () => ConcreteRules.Conv2d([1, 1, 28, 28], [1, 3, 3], One, Zero, One), "[1, 3, 3]");
        RuleAssert.Refuses("Conv2d", () => ConcreteRules.Conv2d([1, 1, 28, 28], [1, 1, 3, 3], Zero, Zero, One), "stride [0, 0]");
        RuleAssert.Refuses("Conv2d", () => ConcreteRules.Conv2d([1, 4, 28, 28], [3, 2, 3, 3], One, Zero, One, groups: 2), "out channels 3", "groups (2)");
    }

    [Fact]
    public void Pool_2_halves_28_to_14()
    {
        Assert.Equal([64, 16, 14, 14], ConcreteRules.Pool2d([64, 16, 28, 28], [2, 2], [2, 2], Zero, One));
        Assert.Equal([16, 14, 14], ConcreteRules.Pool2d([16, 28, 28], [3, 3], [2, 2], One, One, "AvgPool2d"));
        Assert.Equal([1, 1, 7, 7], ConcreteRules.Pool2d([1, 1, 7, 7], [3, 3], One, One, One));
    }

    [Fact]
    public void Pool2d_refuses_padding_over_half_the_kernel_and_empty_outputs()
    {
        RuleAssert.Refuses("MaxPool2d", () => ConcreteRules.Pool2d([1, 1, 28, 28], [2, 2], [2, 2], [2, 2], One), "pad [2, 2]", "kernel size [2, 2]", "[1, 1, 28, 28]");
        var e = RuleAssert.Refuses("MaxPool2d", () => ConcreteRules.Pool2d([1, 1, 1, 1], [2, 2], One, Zero, One), "[1, 1, 1, 1]", "kernel [2, 2]", "dim 2");
        Assert.Equal(
            "MaxPool2d: output size is too small: input [1, 1, 1, 1] with kernel [2, 2], stride [1, 1], padding [0, 0] gives 0 at dim 2",
            e.Message);
        RuleAssert.Refuses("AvgPool2d", () => ConcreteRules.Pool2d([28, 28], [2, 2], [2, 2], Zero, One, "AvgPool2d"), "[28, 28]");
    }

    [Fact]
    public void Pool2d_refuses_a_window_that_does_not_fit_even_with_a_stride_over_1()
    {
        // PyTorch: floor((1 + 0 - 1·(2 − 1) − 1) / 2) + 1 = floor(−1 / 2) + 1 = 0, so nn.MaxPool2d(2)(torch.zeros(1, 1, 1, 1))
        // raises "Output size is too small". Dividing −1 by 2 toward zero instead gives 0 + 1 = 1.
        RuleAssert.Refuses("MaxPool2d", () => ConcreteRules.Pool2d([1, 1, 1, 1], [2, 2], [2, 2], Zero, One), "[1, 1, 1, 1]", "kernel [2, 2]", "dim 2");
        // Height 2, kernel 3, stride 3: floor(−1 / 3) + 1 = 0.
        RuleAssert.Refuses("MaxPool2d", () => ConcreteRules.Pool2d([1, 1, 2, 5], [3, 3], [3, 3], Zero, One), "[1, 1, 2, 5]", "dim 2");
    }
}
