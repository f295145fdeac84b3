using ConcreteRules = ShapeSafe.Shapes.ShapeRules<int, ShapeSafe.Shapes.ConcreteDims>;

namespace ShapeSafe.Shapes.Tests.Rules;

/// <summary>Adaptive pooling, padding, interpolation, pixel shuffle and transposed convolution.</summary>
public class ResamplingRuleTests
{
    [Fact]
    public void AdaptivePool2d_sets_the_spatial_dims()
    {
        Assert.Equal([8, 3, 1, 1], ConcreteRules.AdaptivePool2d([8, 3, 32, 32], [1, 1]));
        Assert.Equal([3, 7, 5], ConcreteRules.AdaptivePool2d([3, 7, 5], [-1, 5]));
        var e = RuleAssert.Refuses("AdaptiveAvgPool2d", () => ConcreteRules.AdaptivePool2d([3, 3], [1, 1]), "3D or 4D", "[3, 3]");
        Assert.Equal("AdaptiveAvgPool2d: Expected 3D or 4D tensor, but got input of shape [3, 3]", e.Message);
        RuleAssert.Refuses("AdaptiveMaxPool2d", () => ConcreteRules.AdaptivePool2d([1, 2, 0, 3], [1, 1], "AdaptiveMaxPool2d"), "non-zero", "[1, 2, 0, 3]", "dim 2");
    }

    [Fact]
    public void Pad_grows_dims_from_the_last()
    {
        Assert.Equal([2, 3, 7], ConcreteRules.Pad([2, 3, 4], [1, 2]));
        Assert.Equal([2, 5, 2], ConcreteRules.Pad([2, 3, 4], [-1, -1, 1, 1]));
        Assert.Equal([1, 2, 5, 8], ConcreteRules.Pad([1, 2, 3, 4], [2, 2, 1, 1], "reflect"));
        Assert.Equal([2, 9], ConcreteRules.Pad([2, 4], [4, 1], "circular"));
        Assert.Equal([2, 3, 9], ConcreteRules.Pad([2, 3, 4], [0, 5], "replicate"));
    }

    [Fact]
    public void Pad_refuses_what_pytorch_refuses()
    {
        RuleAssert.Refuses("Pad", () => ConcreteRules.Pad([2, 3], [1]), "divisible by 2", "[1]");
        RuleAssert.Refuses("Pad", () => ConcreteRules.Pad([2, 3], [1, 1, 1, 1, 1, 1]), "too large", "[2, 3]");
        var negative = RuleAssert.Refuses("Pad", () => ConcreteRules.Pad([2, 3], [-2, -2]), "negative output size", "dimension 1", "[2, 3]");
        Assert.Equal("Pad: The input size 3, plus negative padding -2 and -2 resulted in a negative output size, which is invalid. Check dimension 1 of your input [2, 3]", negative.Message);
        var reflect = RuleAssert.Refuses("Pad", () => ConcreteRules.Pad([1, 3], [3, 0], "reflect"), "less than", "(3, 0)", "dimension 1", "[1, 3]");
        Assert.Equal("Pad: Padding size should be less than the corresponding input dimension, but got: padding (3, 0) at dimension 1 of input [1, 3]", reflect.Message);
        RuleAssert.Refuses("Pad", () => ConcreteRules.Pad([1, 3], [4, 0], "circular"), "wrapping around more than once", "[1, 3]");
        RuleAssert.Refuses("Pad", () => ConcreteRules.Pad([4], [1, 1], "replicate"), "2D or 3D", "[4]");
        RuleAssert.Refuses("Pad", () => ConcreteRules.Pad([1, 4], [1, 1], "wrap"), "wrap");
    }

    [Fact]
    public void Interpolate2d_takes_a_size_or_scales()
    {
        Assert.Equal([1, 3, 8, 10], ConcreteRules.Interpolate2d([1, 3, 4, 5], null, [2.0, 2.0]));
        Assert.Equal([1, 3, 6, 7], ConcreteRules.Interpolate2d([1, 3, 4, 5], [6, 7], null));
        Assert.Equal([1, 3, 6, 7], ConcreteRules.Interpolate2d([1, 3, 4, 5], null, [1.5, 1.5]));
        RuleAssert.Refuses("Interpolate", () => ConcreteRules.Interpolate2d([3, 4, 5], [2, 2], null), "4D", "[3, 4, 5]");
        RuleAssert.Refuses("Interpolate", () => ConcreteRules.Interpolate2d([1, 3, 4, 5], [2, 2], [2.0, 2.0]), "not both");
    }

    [Fact]
    public void PixelShuffle_moves_channels_into_space()
    {
        Assert.Equal([2, 3, 8, 10], ConcreteRules.PixelShuffle([2, 12, 4, 5], 2));
        Assert.Equal([1, 9, 9], ConcreteRules.PixelShuffle([9, 3, 3], 3));
        var e = RuleAssert.Refuses("PixelShuffle", () => ConcreteRules.PixelShuffle([1, 5, 2, 2], 2), "divisible", "input.size(-3)=5", "4", "[1, 5, 2, 2]");
        Assert.Contains("is not divisible by 4", e.Message);
        RuleAssert.Refuses("PixelShuffle", () => ConcreteRules.PixelShuffle([4, 4], 2), "at least 3 dimensions", "[4, 4]");
    }

    [Fact]
    public void ConvTranspose2d_inverts_the_convolution_size()
    {
        // (4 - 1)·2 - 2·1 + (3 - 1) + 1 + 1 = 8.
        Assert.Equal([2, 6, 8, 8], ConcreteRules.ConvTranspose2d([2, 3, 4, 4], [3, 6, 3, 3], [2, 2], [1, 1], [1, 1], [1, 1]));
        Assert.Equal([8, 6, 7], ConcreteRules.ConvTranspose2d([4, 5, 6], [4, 4, 2, 2], [1, 1], [0, 0], [0, 0], [1, 1], groups: 2));
        RuleAssert.Refuses("ConvTranspose2d", () => ConcreteRules.ConvTranspose2d([2, 3, 4, 4], [4, 6, 3, 3], [1, 1], [0, 0], [0, 0], [1, 1]), "3 channels", "[4, 6, 3, 3]");
        RuleAssert.Refuses("ConvTranspose2d", () => ConcreteRules.ConvTranspose2d([2, 3, 4, 4], [3, 6, 3, 3], [2, 2], [0, 0], [2, 2], [1, 1]), "output padding", "[2, 2]");
        RuleAssert.Refuses("ConvTranspose2d", () => ConcreteRules.ConvTranspose2d([1, 3, 1, 1], [3, 6, 1, 1], [1, 1], [1, 1], [0, 0], [1, 1]), "too small", "-1");
    }
}
