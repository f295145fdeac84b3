using ShapeSafe.NN;
using ShapeSafe.Tests.TestSupport;

namespace ShapeSafe.Tests.NN.Layers;

/// <summary>Dropout2d, PixelShuffle, F.Pad and F.Interpolate/Upsample: values worked by hand unless noted, and gradients.</summary>
public class ResamplingTests
{
    static Tensor Row(params float[] values) => Tensor.FromArray(values, 1, values.Length);

    [Fact]
    public void Dropout2d_drops_whole_channels_as_pytorch_draws_them()
    {
        var y = F.Dropout2d(Tensor.Ones(2, 4, 1, 1), 0.5, generator: new Generator(7));

        // torch.manual_seed(7); F.dropout2d(torch.ones(2, 4, 1, 1), 0.5): LibTorch 2.10's mask.
        Assert.Equal(new[] { 2f, 2f, 0f, 0f, 0f, 0f, 2f, 0f }, y.ToFloatArray());
        var channels = F.Dropout2d(Tensor.Ones(3, 5, 2, 2), 0.4, generator: new Generator(1)).Reshape(15, 4).ToFloatArray();
        for (int c = 0; c < 15; c++)
            Assert.True(channels.Skip(4 * c).Take(4).Distinct().Count() == 1, "every element of a channel is kept or dropped together");
        var layer = new Dropout2d();
        Assert.Equal("Dropout2d(p=0.5, inplace=False)", layer.ToString());
        layer.Eval();
        var x = Tensor.Ones(1, 2, 2, 2);
        Assert.Same(x, layer.Forward(x));
        Assert.Throws<ShapeException>(() => F.Dropout2d(Tensor.Ones(4), 0.5));
    }

    [Fact]
    public void PixelShuffle_spreads_channel_groups_over_blocks()
    {
        // Channel k holds 10k + h at row h.
        var x = Tensor.FromArray(new[] { 0f, 1f, 10f, 11f, 20f, 21f, 30f, 31f }, 1, 4, 2, 1);

        var y = new PixelShuffle(2).Forward(x);

        // out[h·2 + i, j] = in[i·2 + j, h].
        Assert.Equal(new[] { 1, 1, 4, 2 }, y.Shape);
        Assert.Equal(new[] { 0f, 10f, 20f, 30f, 1f, 11f, 21f, 31f }, y.ToFloatArray());
        Assert.Equal("PixelShuffle(upscale_factor=2)", new PixelShuffle(2).ToString());
        Assert.Throws<ShapeException>(() => F.PixelShuffle(Tensor.Ones(1, 5, 2, 2), 2));
    }

    [Fact]
    public void Pad_in_each_mode()
    {
        var x = Row(1f, 2f, 3f);

        Assert.Equal(new[] { 9f, 9f, 1f, 2f, 3f, 9f }, F.Pad(x, [2, 1], value: 9).ToFloatArray());
        Assert.Equal(new[] { 2f, 3f }, F.Pad(x, [-1, 0]).ToFloatArray());
        Assert.Equal(new[] { 3f, 2f, 1f, 2f, 3f, 2f, 1f }, F.Pad(x, [2, 2], "reflect").ToFloatArray());
        Assert.Equal(new[] { 1f, 1f, 1f, 2f, 3f, 3f }, F.Pad(x, [2, 1], "replicate").ToFloatArray());
        Assert.Equal(new[] { 2f, 3f, 1f, 2f, 3f, 1f }, F.Pad(x, [2, 1], "circular").ToFloatArray());
        // Two dims: one row of zeros above, one column on each side.
        var grid = F.Pad(Tensor.Ones(1, 1, 2), [1, 1, 1, 0]);
        Assert.Equal(new[] { 1, 2, 4 }, grid.Shape);
        Assert.Equal(new[] { 0f, 0f, 0f, 0f, 0f, 1f, 1f, 0f }, grid.ToFloatArray());
        Assert.Equal(new long[] { 0, 5, 0 }, F.Pad(Tensor.FromArray(new long[] { 5 }), [1, 1]).ToInt64Array());
        Assert.Equal("Pad: Padding size should be less than the corresponding input dimension, but got: padding (3, 0) at dimension 1 of input [1, 3]",
            Assert.Throws<ShapeException>(() => F.Pad(x, [3, 0], "reflect")).Message);
        Assert.Throws<ArgumentException>(() => F.Pad(x, [1, 1], "reflect", value: 1));
    }

    [Fact]
    public void Interpolate_nearest_and_bilinear()
    {
        var x = Tensor.FromArray(new[] { 1f, 2f, 3f, 4f }, 1, 1, 2, 2);

        Assert.Equal(new[] { 1f, 1f, 2f, 2f, 1f, 1f, 2f, 2f, 3f, 3f, 4f, 4f, 3f, 3f, 4f, 4f }, F.Interpolate(x, 2.0).ToFloatArray());
        // Aligned corners: sources at 0, 0.5, 1 along each dim.
        var corners = F.Interpolate(Tensor.FromArray(new[] { 0f, 2f, 4f, 6f }, 1, 1, 2, 2), size: (3, 3), mode: "bilinear", alignCorners: true);
        Assert.Equal(new[] { 0f, 1f, 2f, 2f, 3f, 4f, 4f, 5f, 6f }, corners.ToFloatArray());
        // Half-pixel centres: columns read 0, 0.25, 0.75 and 1.25 (clamped to the last), rows both read row 0.
        var centres = F.Interpolate(Tensor.FromArray(new[] { 0f, 4f }, 1, 1, 1, 2), 2.0, "bilinear");
        Assert.Equal(new[] { 0f, 1f, 3f, 4f, 0f, 1f, 3f, 4f }, centres.ToFloatArray());
        Assert.Equal("Upsample(scale_factor=2.0, mode='nearest')", new Upsample(2).ToString());
        Assert.Equal("Upsample(size=(4, 5), mode='bilinear')", new Upsample(size: (4, 5), mode: "bilinear").ToString());
        Assert.Equal(new[] { 1, 1, 4, 5 }, new Upsample(size: (4, 5), mode: "bilinear").Forward(x).Shape);
        Assert.Throws<ArgumentException>(() => F.Interpolate(x, 2.0, alignCorners: true));
        Assert.Throws<ShapeException>(() => F.Interpolate(Tensor.Ones(2, 2, 2), 2.0));
    }

    [Fact]
    public void GradientsMatchFiniteDifferences()
    {
        var x = Tensor.Randn([2, 2, 4, 5], new Generator(11));
        GradCheck.Check(t => F.Pad(t[0], [1, 2, 2, 1], value: 0.5), x);
        GradCheck.Check(t => F.Pad(t[0], [3, 2, 2, 3], "reflect"), x);
        GradCheck.Check(t => F.Pad(t[0], [4, 1, 0, 3], "replicate"), x);
        GradCheck.Check(t => F.Pad(t[0], [5, 2, 4, 1], "circular"), x);
        GradCheck.Check(t => F.PixelShuffle(t[0], 2), Tensor.Randn([1, 8, 2, 3], new Generator(12)));
        GradCheck.Check(t => F.Interpolate(t[0], 2.0), x);
        GradCheck.Check(t => F.Interpolate(t[0], size: (7, 3), mode: "bilinear"), x);
        GradCheck.Check(t => F.Interpolate(t[0], size: (3, 9), mode: "bilinear", alignCorners: true), x);
        var y = Tensor.Randn([3, 4, 2, 2], new Generator(13));
        var mask = F.Dropout2d(Tensor.Ones(3, 4, 1, 1), 0.5, generator: new Generator(14));
        GradCheck.Check(t => F.Dropout2d(t[0], 0.5, generator: new Generator(14)), y);
        Assert.Contains(0f, mask.ToFloatArray());
        var leaf = Tensor.Ones(1, 1, 3, 3);
        leaf.RequiresGrad = true;
        Assert.Equal("ReflectionPad2DBackward", F.Pad(leaf, [1, 1, 1, 1], "reflect").GradFn);
        Assert.Equal("ReplicationPad1DBackward", F.Pad(leaf[0], [1, 1], "replicate").GradFn);
        Assert.Equal("ConstantPadNdBackward", F.Pad(leaf, [1, 1]).GradFn);
        Assert.Equal("UpsampleBilinear2DBackward", F.Interpolate(leaf, 2.0, "bilinear").GradFn);
    }
}
