using ShapeSafe.NN;
using ShapeSafe.Tests.TestSupport;

namespace ShapeSafe.Tests.NN.Layers;

/// <summary>
/// Convolution padding by name ("valid", "same", with PyTorch's extra element at the end for even kernels) and the
/// padding modes of nn.Conv1d and nn.Conv2d; messages are PyTorch's. benchmarks/ShapeSafe.Conformance compares the
/// outputs and gradients with LibTorch's modules.
/// </summary>
public class ConvolutionPaddingTests
{
    static readonly Generator Rng = new(11);

    [Fact]
    public void SameKeepsTheSizeWithTheExtraPaddingAtTheEnd()
    {
        var x = Tensor.Randn([1, 2, 7, 6], Rng);
        var conv = new Conv2d(2, 3, 4, "same", generator: Rng);

        var y = conv.Forward(x);

        Assert.Equal(new[] { 1, 3, 7, 6 }, y.Shape);
        Assert.Equal((1, 1), conv.Padding);
        // An even kernel pads 1 before and 2 after: the same as padding explicitly, then convolving unpadded.
        var explicitly = F.Conv2d(F.Pad(x, [1, 2, 1, 2]), conv.Weight, conv.Bias);
        Assert.Equal(explicitly.ToFloatArray(), y.ToFloatArray());
        Assert.Equal(y.ToFloatArray(), F.Conv2d(x, conv.Weight, conv.Bias, "same").ToFloatArray());
        Assert.Equal("Conv2d(2, 3, kernel_size=(4, 4), stride=(1, 1), padding=same)", conv.ToString());
    }

    [Fact]
    public void SameWithDilationAndValidInOneDimension()
    {
        var x = Tensor.Randn([2, 3, 9], Rng);
        var dilated = new Conv1d(3, 4, 3, "same", dilation: 2, generator: Rng);
        var valid = new Conv1d(3, 4, 3, "valid", generator: Rng);

        Assert.Equal(new[] { 2, 4, 9 }, dilated.Forward(x).Shape);
        Assert.Equal(2, dilated.Padding);
        Assert.Equal(new[] { 2, 4, 7 }, valid.Forward(x).Shape);
        Assert.Equal(new[] { 2, 4, 9 }, F.Conv1d(x, Tensor.Randn([4, 3, 2], Rng), null, "same").Shape);
        Assert.Equal("Conv1d(3, 4, kernel_size=(3,), stride=(1,), padding=valid)", valid.ToString());
    }

    [Fact]
    public void PaddingModesPadTheInputBeforeAnUnpaddedConvolution()
    {
        var x = Tensor.Randn([1, 2, 5, 5], Rng);
        foreach (var mode in new[] { "reflect", "replicate", "circular" })
        {
            var conv = new Conv2d(2, 3, 3, padding: 1, paddingMode: mode, generator: Rng);
            var expected = F.Conv2d(F.Pad(x, [1, 1, 1, 1], mode), conv.Weight, conv.Bias);
            Assert.Equal(expected.ToFloatArray(), conv.Forward(x).ToFloatArray());
            Assert.Equal(mode, conv.PaddingMode);
        }
        var same = new Conv2d(2, 3, 2, "same", paddingMode: "reflect", generator: Rng);
        Assert.Equal(F.Conv2d(F.Pad(x, [0, 1, 0, 1], "reflect"), same.Weight, same.Bias).ToFloatArray(), same.Forward(x).ToFloatArray());
        Assert.Equal("Conv2d(2, 3, kernel_size=(2, 2), stride=(1, 1), padding=same, padding_mode=reflect)", same.ToString());
        Assert.Equal("Conv1d(2, 2, kernel_size=(3,), stride=(1,), padding=(1,), padding_mode=circular)", new Conv1d(2, 2, 3, padding: 1, paddingMode: "circular").ToString());
    }

    [Fact]
    public void BadNamesStridedSameAndUnknownModesAreRefusedWithPyTorchsMessages()
    {
        var strided = Assert.Throws<ArgumentException>(() => new Conv2d(2, 3, 3, "same", stride: 2));
        Assert.StartsWith("Conv2d: padding='same' is not supported for strided convolutions", strided.Message);
        var name = Assert.Throws<ArgumentException>(() => new Conv1d(2, 3, 3, "full"));
        Assert.StartsWith("Conv1d: Invalid padding string 'full', should be one of {'valid', 'same'}", name.Message);
        var mode = Assert.Throws<ArgumentException>(() => new Conv2d(2, 3, 3, paddingMode: "mirror"));
        Assert.StartsWith("Conv2d: padding_mode must be one of {'zeros', 'reflect', 'replicate', 'circular'}, but got padding_mode='mirror'", mode.Message);
        var functional = Assert.Throws<ArgumentException>(() => F.Conv2d(Tensor.Zeros(1, 1, 4, 4), Tensor.Zeros(1, 1, 3, 3), null, "full"));
        Assert.StartsWith("Conv2d: Invalid padding string: 'full'", functional.Message);
        Assert.Throws<ArgumentException>(() => F.Conv1d(Tensor.Zeros(1, 1, 4), Tensor.Zeros(1, 1, 3), null, "same", stride: 2));
    }

    [Fact]
    public void GradientsMatchFiniteDifferences()
    {
        var same = new Conv2d(2, 2, 2, "same", generator: Rng);
        GradCheck.Check(x => same.Forward(x[0]), Tensor.Randn([1, 2, 4, 5], Rng));
        var reflect = new Conv1d(2, 2, 3, padding: 1, paddingMode: "reflect", generator: Rng);
        GradCheck.Check(x => reflect.Forward(x[0]), Tensor.Randn([1, 2, 6], Rng));
    }
}
