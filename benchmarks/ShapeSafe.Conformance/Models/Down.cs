using ShapeSafe.NN;

namespace ShapeSafe.Conformance.Models;

/// <summary>milesial Pytorch-UNet's <c>Down</c>: a 2×2 max pool, then a <see cref="DoubleConv"/>, in <c>maxpool_conv</c>.</summary>
[Module]
public sealed partial class Down : Module, ITensorModule
{
    [StateName("maxpool_conv")] readonly Sequential maxpoolConv;

    /// <summary>Halves the resolution (rounding down) and maps <paramref name="inChannels"/> to <paramref name="outChannels"/>.</summary>
    public Down(int inChannels, int outChannels) =>
        maxpoolConv = new Sequential(new MaxPool2d(2), new DoubleConv(inChannels, outChannels));

    /// <summary>[N, in, H, W] to [N, out, H / 2, W / 2].</summary>
    public Tensor Forward(Tensor input) => maxpoolConv.Forward(input);
}
