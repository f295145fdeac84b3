using ShapeSafe.NN;
using ShapeSafe.Tests.TestSupport;

namespace ShapeSafe.Tests.NN.Layers;

/// <summary>
/// AdaptiveAvgPool2d and AdaptiveMaxPool2d. Windows are ATen's: output cell i reads floor(i·H/OH) to
/// ceil((i+1)·H/OH), so a 3×3 input pooled to 2×2 has overlapping 2×2 windows.
/// </summary>
public class AdaptivePoolingTests
{
    static Tensor Grid() => Tensor.Arange(0, 9).ToDType(DType.Float32).Reshape(1, 1, 3, 3);

    [Fact]
    public void Print_like_pytorch()
    {
        Assert.Equal("AdaptiveAvgPool2d(output_size=1)", new AdaptiveAvgPool2d(1).ToString());
        Assert.Equal("AdaptiveAvgPool2d(output_size=(None, 7))", new AdaptiveAvgPool2d((null, 7)).ToString());
        Assert.Equal("AdaptiveMaxPool2d(output_size=(2, 3))", new AdaptiveMaxPool2d((2, 3)).ToString());
    }

    [Fact]
    public void Average_over_overlapping_windows()
    {
        var y = new AdaptiveAvgPool2d(2).Forward(Grid());

        Assert.Equal(new[] { 1, 1, 2, 2 }, y.Shape);
        // mean(0, 1, 3, 4), mean(1, 2, 4, 5), mean(3, 4, 6, 7), mean(4, 5, 7, 8).
        Assert.Equal(new[] { 2f, 3f, 5f, 6f }, y.ToFloatArray());
        Assert.Equal(new[] { 4f }, new AdaptiveAvgPool2d(1).Forward(Grid()).ToFloatArray());
        Assert.Equal(new[] { 1, 3, 1 }, new AdaptiveAvgPool2d((3, 1)).Forward(Grid()[0]).Shape);
        Assert.Equal(new[] { 1, 1, 3, 2 }, new AdaptiveAvgPool2d((null, 2)).Forward(Grid()).Shape);
    }

    [Fact]
    public void Max_with_positions_in_the_plane()
    {
        var (values, indices) = F.AdaptiveMaxPool2dWithIndices(Grid(), (2, 2));

        Assert.Equal(new[] { 4f, 5f, 7f, 8f }, values.ToFloatArray());
        Assert.Equal(new long[] { 4, 5, 7, 8 }, indices.ToInt64Array());
        Assert.Equal(values.ToFloatArray(), new AdaptiveMaxPool2d(2).Forward(Grid()).ToFloatArray());
    }

    [Fact]
    public void Refuse_other_ranks_and_empty_planes()
    {
        var rank = Assert.Throws<ShapeException>(() => F.AdaptiveAvgPool2d(Tensor.Zeros(3, 3), 1));
        Assert.Equal("AdaptiveAvgPool2d: Expected 3D or 4D tensor, but got input of shape [3, 3]", rank.Message);
        Assert.Throws<ShapeException>(() => F.AdaptiveMaxPool2d(Tensor.Zeros(1, 2, 0, 3), 1));
    }

    [Fact]
    public void GradientsMatchFiniteDifferences()
    {
        var x = Tensor.Randn([2, 2, 5, 7], new Generator(7));
        GradCheck.Check(t => F.AdaptiveAvgPool2d(t[0], (3, 2)), x);
        GradCheck.Check(t => F.AdaptiveAvgPool2d(t[0], (6, 8)), x);
        GradCheck.Check(t => F.AdaptiveMaxPool2d(t[0], (2, 3)), x);
    }
}
