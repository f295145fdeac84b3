using ShapeSafe.Conformance.Models;
using ShapeSafe.NN;

namespace ShapeSafe.Tests.NN.Models;

/// <summary>The UNet port: milesial Pytorch-UNet's state-dict names, order and shapes, and the padded up steps' output shapes.</summary>
public class UNetTests
{
    [Fact]
    public void State_dict_has_milesials_keys()
    {
        var keys = new UNet(3, 2).StateDict().Keys.ToList();

        Assert.Equal(118, keys.Count);
        Assert.Equal(
        [
            "inc.double_conv.0.weight",
            "inc.double_conv.1.weight", "inc.double_conv.1.bias", "inc.double_conv.1.running_mean",
            "inc.double_conv.1.running_var", "inc.double_conv.1.num_batches_tracked",
            "inc.double_conv.3.weight",
        ], keys[..7]);
        Assert.Equal("down1.maxpool_conv.1.double_conv.0.weight", keys[12]);
        // The up step: the transposed convolution first, then the double convolution.
        int up1 = keys.IndexOf("up1.up.weight");
        Assert.Equal(["up1.up.weight", "up1.up.bias", "up1.conv.double_conv.0.weight"], keys[up1..(up1 + 3)]);
        Assert.Equal(["outc.conv.weight", "outc.conv.bias"], keys[^2..]);
    }

    [Fact]
    public void Shapes_and_parameter_count()
    {
        var model = new UNet(3, 2);
        var state = model.StateDict();

        Assert.Equal([64, 3, 3, 3], state["inc.double_conv.0.weight"].Shape);
        Assert.Equal([1024, 512, 3, 3], state["down4.maxpool_conv.1.double_conv.0.weight"].Shape);
        // ConvTranspose2d's weight is [in, out, kH, kW].
        Assert.Equal([1024, 512, 2, 2], state["up1.up.weight"].Shape);
        Assert.Equal([512], state["up1.up.bias"].Shape);
        Assert.Equal([512, 1024, 3, 3], state["up1.conv.double_conv.0.weight"].Shape);
        Assert.Equal([2, 64, 1, 1], state["outc.conv.weight"].Shape);
        Assert.Equal(31_037_698, model.Parameters().Sum(p => p.NumEl));
    }

    [Fact]
    public void Bilinear_up_steps_have_no_weights_and_halve_the_deepest_width()
    {
        var model = new UNet(3, 2, bilinear: true);
        var state = model.StateDict();

        Assert.Equal(110, state.Count);
        Assert.DoesNotContain(state.Keys, k => k.Contains(".up.", StringComparison.Ordinal));
        Assert.IsType<Upsample>(model.GetSubmodule("up1.up"));
        Assert.Equal([512, 512, 3, 3], state["down4.maxpool_conv.1.double_conv.0.weight"].Shape);
        // mid channels = in / 2: 1024 → 512 → 256.
        Assert.Equal([512, 1024, 3, 3], state["up1.conv.double_conv.0.weight"].Shape);
        Assert.Equal([256, 512, 3, 3], state["up1.conv.double_conv.3.weight"].Shape);
        Assert.Equal(17_263_042, model.Parameters().Sum(p => p.NumEl));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Odd_sizes_are_padded_back_to_the_input_size(bool bilinear)
    {
        // 17 → 8 → 4 → 2 → 1 on the way down; up, 1 → 2, 2 → 4, 4 → 8 and 8 → 16 padded to 17.
        var model = new UNet(3, 2, bilinear);
        model.Eval();
        Tensor y;
        using (ShapeSafe.Autograd.NoGrad()) y = model.Forward(Tensor.Randn([1, 3, 17, 17], new Generator(2)));

        Assert.Equal([1, 2, 17, 17], y.Shape);
    }

    [Fact]
    public void Up_pads_the_upsampled_map_by_floor_halves_before_concatenating_after_the_skip()
    {
        // A bilinear up step whose convolutions pass the concatenation's channel 2 (the upsampled map's first,
        // after the skip's two) through to output channel 0: the output shows where the padding went.
        var up = new Up(4, 2, bilinear: true);
        using (ShapeSafe.Autograd.NoGrad())
        {
            var first = new float[2 * 4 * 3 * 3];
            first[(0 * 4 + 2) * 9 + 4] = 1;       // mid 0 ← channel 2, the kernel's centre
            ((Conv2d)up.GetSubmodule("conv.double_conv.0")).Weight.CopyFrom(Tensor.FromArray(first, 2, 4, 3, 3));
            var second = new float[2 * 2 * 3 * 3];
            second[4] = 1;                         // out 0 ← mid 0
            ((Conv2d)up.GetSubmodule("conv.double_conv.3")).Weight.CopyFrom(Tensor.FromArray(second, 2, 2, 3, 3));
        }
        up.Eval();
        var deeper = Tensor.Ones([1, 2, 1, 3]);   // upsampled to [1, 2, 2, 6]
        var skip = Tensor.Zeros([1, 2, 5, 7]);    // diffY 3: rows (1, 2) added; diffX 1: columns (0, 1)

        Tensor y;
        using (ShapeSafe.Autograd.NoGrad()) y = up.Forward(deeper, skip);

        Assert.Equal([1, 2, 5, 7], y.Shape);
        var channel0 = y.ToFloatArray()[..35];
        float one = (float)(1 / (1 + 1e-5));     // two eval batch norms with unit statistics
        for (int row = 0; row < 5; row++)
            for (int col = 0; col < 7; col++)
                Assert.Equal(row is 1 or 2 && col < 6 ? one : 0f, channel0[row * 7 + col], 6);
    }
}
