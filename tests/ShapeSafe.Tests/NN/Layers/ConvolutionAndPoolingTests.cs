using ShapeSafe.NN;
using static ShapeSafe.Tests.NN.FiniteDifferences;

namespace ShapeSafe.Tests.NN.Layers;

/// <summary>nn.Conv2d, nn.MaxPool2d and nn.AvgPool2d over the convolution and pooling ops.</summary>
public class ConvolutionAndPoolingTests
{
    [Fact]
    public void Conv2d_prints_like_pytorch()
    {
        var g = new Generator(1);
        Assert.Equal("Conv2d(3, 16, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))", new Conv2d(3, 16, 3, stride: 1, padding: 1, generator: g).ToString());
        Assert.Equal("Conv2d(1, 16, kernel_size=(3, 3), stride=(1, 1))", new Conv2d(1, 16, 3, generator: g).ToString());
        Assert.Equal("Conv2d(4, 8, kernel_size=(3, 5), stride=(2, 1), padding=(1, 2), dilation=(2, 2), groups=2, bias=False)",
            new Conv2d(4, 8, (3, 5), stride: (2, 1), padding: (1, 2), dilation: (2, 2), groups: 2, bias: false, generator: g).ToString());
    }

    [Fact]
    public void Conv2d_seed_0_gives_pytorchs_values()
    {
        // torch.manual_seed(0); nn.Conv2d(1, 2, 3)
        var conv = new Conv2d(1, 2, 3, generator: new Generator(0));

        Assert.Equal(new[] { 2, 1, 3, 3 }, conv.Weight.Shape);
        Assert.Equal(new[] { "weight", "bias" }, conv.StateDict().Keys);
        Close(new[] { -0.002495607f, 0.17881453f, -0.27434838f, -0.24531302f, -0.1283848f, 0.08938579f }, conv.Weight.ToFloatArray()[..6], 1e-7);
        Close(new[] { -0.22598037f, -0.14515428f }, conv.Bias!.ToFloatArray(), 1e-7);
    }

    [Fact]
    public void Conv2d_init_bounds_use_fan_in_of_channels_per_group_times_kernel()
    {
        var conv = new Conv2d(4, 6, 3, groups: 2, generator: new Generator(3));

        // fan_in = 4/2·3·3 = 18: weight and bias in ±1/sqrt(18).
        float bound = 1 / MathF.Sqrt(18);
        Assert.Equal(new[] { 6, 2, 3, 3 }, conv.Weight.Shape);
        Assert.All(conv.Weight.ToFloatArray(), v => Assert.InRange(v, -bound, bound));
        Assert.All(conv.Bias!.ToFloatArray(), v => Assert.InRange(v, -bound, bound));
        Assert.Contains(conv.Weight.ToFloatArray(), v => Math.Abs(v) > bound / 2);
    }

    [Fact]
    public void Conv2d_forward_is_the_convolution_op_and_learns()
    {
        var conv = new Conv2d(2, 3, 3, padding: 1, generator: new Generator(4));
        var x = Leaf(9, -1, 1, 2, 2, 5, 5);

        var y = conv.Forward(x);

        Assert.Equal(new[] { 2, 3, 5, 5 }, y.Shape);
        Assert.Equal(Tensor.Conv2d(x, conv.Weight, conv.Bias, 1, 1).ToFloatArray(), y.ToFloatArray());
        Assert.Equal("ConvolutionBackward", y.GradFn);
        Check(t => new Conv2d(2, 3, 3, padding: 1, generator: new Generator(4)).Forward(t[0]), new[] { Leaf(9, -1, 1, 1, 2, 4, 4) });
    }

    [Fact]
    public void Conv2d_rejects_channels_not_divisible_by_groups()
    {
        Assert.Contains("divisible by groups", Assert.Throws<ArgumentException>(() => new Conv2d(3, 4, 3, groups: 2)).Message);
    }

    [Fact]
    public void Conv2d_wrong_input_channels_throw_shape_exception()
    {
        var conv = new Conv2d(3, 4, 3, generator: new Generator(1));

        var e = Assert.Throws<ShapeException>(() => conv.Forward(Tensor.Zeros(1, 2, 8, 8)));

        Assert.Contains("[1, 2, 8, 8]", e.Message);
    }

    [Fact]
    public void Pools_print_like_pytorch()
    {
        Assert.Equal("MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)", new MaxPool2d(2, 2).ToString());
        Assert.Equal("MaxPool2d(kernel_size=3, stride=1, padding=1, dilation=1, ceil_mode=False)", new MaxPool2d(3, 1, 1).ToString());
        Assert.Equal("MaxPool2d(kernel_size=(2, 3), stride=(2, 3), padding=(0, 0), dilation=(1, 1), ceil_mode=False)", new MaxPool2d((2, 3)).ToString());
        Assert.Equal("AvgPool2d(kernel_size=2, stride=2, padding=0)", new AvgPool2d(2, 2).ToString());
        Assert.Equal("AvgPool2d(kernel_size=2, stride=2, padding=0)", new AvgPool2d(2).ToString());
    }

    [Fact]
    public void Pools_compute_window_maxima_and_means()
    {
        var x = Tensor.Arange(16).ToDType(DType.Float32).Reshape(1, 1, 4, 4);

        Assert.Equal(new float[] { 5, 7, 13, 15 }, new MaxPool2d(2, 2).Forward(x).ToFloatArray());
        Assert.Equal(new float[] { 2.5f, 4.5f, 10.5f, 12.5f }, new AvgPool2d(2, 2).Forward(x).ToFloatArray());
        Assert.Equal(new[] { 1, 1, 2, 2 }, new MaxPool2d(2).Forward(x).Shape);
    }

    [Fact]
    public void Pool_gradients_match_finite_differences()
    {
        Check(t => new MaxPool2d(2).Forward(t[0]), new[] { Leaf(3, -1, 1, 1, 2, 4, 4) });
        Check(t => new AvgPool2d(3, 1, 1).Forward(t[0]), new[] { Leaf(4, -1, 1, 1, 2, 4, 4) });
    }
}
