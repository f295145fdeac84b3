using ShapeSafe.NN;
using ShapeSafe.Tests.TestSupport;

namespace ShapeSafe.Tests.NN.Layers;

/// <summary>ConvTranspose2d: initialization (LibTorch's values), printed form, scattered kernels worked by hand, gradients.</summary>
public class ConvTranspose2dTests
{
    static readonly float[] Kernel = { 1f, 10f, 100f, 1000f };

    static ConvTranspose2d Layer(int stride = 1, int padding = 0, int outputPadding = 0)
    {
        var layer = new ConvTranspose2d(1, 1, 2, stride, padding, outputPadding);
        using (ShapeSafe.Autograd.NoGrad())
        {
            layer.Weight.CopyFrom(Tensor.FromArray(Kernel, 1, 1, 2, 2));
            layer.Bias!.CopyFrom(Tensor.FromArray(new[] { 0.5f }));
        }
        return layer;
    }

    static Tensor Input() => Tensor.FromArray(new[] { 1f, 2f, 3f, 4f }, 1, 1, 2, 2);

    [Fact]
    public void Draws_pytorchs_weights_with_fan_in_from_dim_1()
    {
        var layer = new ConvTranspose2d(2, 1, 2, generator: new Generator(0));

        // torch.manual_seed(0); nn.ConvTranspose2d(2, 1, 2): LibTorch 2.10's values (fan_in = 1·2·2).
        Assert.Equal(new[] { 2, 1, 2, 2 }, layer.Weight.Shape);
        Assert.Equal(new[] { -0.00374341f, 0.2682218f, -0.41152257f, -0.3679695f, -0.19257718f, 0.13407868f, -0.00990659f, 0.39644474f },
            layer.Weight.ToFloatArray());
        Assert.Equal(new[] { -0.044372022f }, layer.Bias!.ToFloatArray());
    }

    [Fact]
    public void Prints_like_pytorch()
    {
        Assert.Equal("ConvTranspose2d(2, 1, kernel_size=(2, 2), stride=(1, 1))", new ConvTranspose2d(2, 1, 2).ToString());
        Assert.Equal("ConvTranspose2d(4, 6, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1), output_padding=(1, 1), groups=2, bias=False)",
            new ConvTranspose2d(4, 6, 3, stride: 2, padding: 1, outputPadding: 1, groups: 2, bias: false).ToString());
    }

    [Fact]
    public void Each_input_pixel_scatters_the_kernel()
    {
        // Overlapping: out[1, 1] = 1·1000 + 2·100 + 3·10 + 4·1.
        Assert.Equal(new[] { 1f, 12f, 20f, 103f, 1234f, 2040f, 300f, 3400f, 4000f }.Select(v => v + 0.5f), Layer().Forward(Input()).ToFloatArray());
        // Stride 2: the blocks sit side by side.
        var strided = Layer(stride: 2).Forward(Input());
        Assert.Equal(new[] { 1, 1, 4, 4 }, strided.Shape);
        Assert.Equal(new[] { 1f, 10f, 2f, 20f, 100f, 1000f, 200f, 2000f, 3f, 30f, 4f, 40f, 300f, 3000f, 400f, 4000f }.Select(v => v + 0.5f),
            strided.ToFloatArray());
        // Padding trims the border; output padding adds a row and a column (zeros plus bias) at the end.
        Assert.Equal(new[] { 1234.5f }, Layer(padding: 1).Forward(Input()).ToFloatArray());
        Assert.Equal(new[] { 1, 1, 5, 5 }, Layer(stride: 2, outputPadding: 1).Forward(Input()).Shape);
        Assert.Equal(new[] { 1, 3, 3 }, Layer().Forward(Input()[0]).Shape);
    }

    [Fact]
    public void Refuses_mismatched_channels_and_output_padding()
    {
        var e = Assert.Throws<ShapeException>(() => Layer().Forward(Tensor.Ones(1, 2, 2, 2)));
        Assert.Equal("ConvTranspose2d: input [1, 2, 2, 2] has 2 channels at dim 1, but weight [1, 1, 2, 2] expects 1 (groups = 1)", e.Message);
        Assert.Throws<ShapeException>(() => Layer(stride: 1, outputPadding: 1).Forward(Input()));
    }

    [Fact]
    public void Gradients_match_finite_differences()
    {
        var layer = new ConvTranspose2d(4, 6, 3, stride: 2, padding: 1, outputPadding: 1, groups: 2, generator: new Generator(9));
        var x = Tensor.Randn([2, 4, 3, 2], new Generator(10));
        x.RequiresGrad = true;
        GradCheck.CheckInPlace(() => layer.Forward(x), [x, layer.Weight, layer.Bias!]);
        var dilated = new ConvTranspose2d(2, 2, (2, 3), dilation: (2, 1), generator: new Generator(11));
        var z = Tensor.Randn([2, 3, 3], new Generator(12));
        z.RequiresGrad = true;
        GradCheck.CheckInPlace(() => dilated.Forward(z), [z, dilated.Weight, dilated.Bias!]);
    }
}
