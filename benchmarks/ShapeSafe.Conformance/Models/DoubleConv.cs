using ShapeSafe.NN;

namespace ShapeSafe.Conformance.Models;

/// <summary>
/// milesial Pytorch-UNet's <c>DoubleConv</c>: (3×3 convolution without bias, batch norm, ReLU) twice, held in a
/// <see cref="Sequential"/> named <c>double_conv</c>, so the state is <c>double_conv.0.weight</c>,
/// <c>double_conv.1.weight</c>, ..., <c>double_conv.4.num_batches_tracked</c>.
/// </summary>
[Module]
public sealed partial class DoubleConv : Module, ITensorModule
{
    [StateName("double_conv")] readonly Sequential doubleConv;

    /// <summary>From <paramref name="inChannels"/> to <paramref name="outChannels"/>, through <paramref name="midChannels"/> (default: the output's).</summary>
    public DoubleConv(int inChannels, int outChannels, int? midChannels = null)
    {
        int mid = midChannels ?? outChannels;
        doubleConv = new Sequential(
            new Conv2d(inChannels, mid, 3, padding: 1, bias: false),
            new BatchNorm2d(mid),
            new ReLU(),
            new Conv2d(mid, outChannels, 3, padding: 1, bias: false),
            new BatchNorm2d(outChannels),
            new ReLU());
    }

    /// <summary>[N, in, H, W] to [N, out, H, W].</summary>
    public Tensor Forward(Tensor input) => doubleConv.Forward(input);
}
