using ShapeSafe.NN;

namespace ShapeSafe.Conformance.Models;

/// <summary>milesial Pytorch-UNet's <c>OutConv</c>: a 1×1 convolution with bias, in <c>conv</c>.</summary>
[Module]
public sealed partial class OutConv : Module, ITensorModule
{
    readonly Conv2d conv;

    /// <summary>Maps <paramref name="inChannels"/> to <paramref name="outChannels"/> at every pixel.</summary>
    public OutConv(int inChannels, int outChannels) => conv = new Conv2d(inChannels, outChannels, 1);

    /// <summary>[N, in, H, W] to [N, out, H, W].</summary>
    public Tensor Forward(Tensor input) => conv.Forward(input);
}
