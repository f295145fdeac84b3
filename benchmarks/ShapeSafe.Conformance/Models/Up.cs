using ShapeSafe.NN;

namespace ShapeSafe.Conformance.Models;

/// <summary>
/// milesial Pytorch-UNet's <c>Up</c>: upsamples the deeper map (<c>up</c>: a stride-2 <see cref="ConvTranspose2d"/>
/// halving the channels, or a bilinear <see cref="Upsample"/> with aligned corners), pads it to the skip
/// connection's height and width, concatenates [skip, upsampled] on the channels and applies a
/// <see cref="DoubleConv"/> (<c>conv</c>).
/// </summary>
[Module]
public sealed partial class Up : Module
{
    // A child either way, as in PyTorch; only its type depends on the option.
    readonly Module up;
    readonly DoubleConv conv;

    /// <summary>An up step from <paramref name="inChannels"/> (the two inputs' channels together) to <paramref name="outChannels"/>.</summary>
    /// <param name="inChannels">The channels of the concatenation.</param>
    /// <param name="outChannels">The output's channels.</param>
    /// <param name="bilinear">Upsample bilinearly (no weights) instead of with a transposed convolution.</param>
    public Up(int inChannels, int outChannels, bool bilinear = true)
    {
        if (bilinear)
        {
            up = new Upsample(2.0, "bilinear", alignCorners: true);
            conv = new DoubleConv(inChannels, outChannels, inChannels / 2);
        }
        else
        {
            up = new ConvTranspose2d(inChannels, inChannels / 2, 2, stride: 2);
            conv = new DoubleConv(inChannels, outChannels);
        }
    }

    /// <summary>Upsamples <paramref name="deeper"/>, pads it to <paramref name="skip"/>'s size, and convolves [skip, upsampled].</summary>
    public Tensor Forward(Tensor deeper, Tensor skip)
    {
        ArgumentNullException.ThrowIfNull(deeper);
        ArgumentNullException.ThrowIfNull(skip);
        var x1 = ((ITensorModule)up).Forward(deeper);
        int diffY = skip.Shape[2] - x1.Shape[2];
        int diffX = skip.Shape[3] - x1.Shape[3];
        // Python's floor division: a negative difference (a larger upsampled map) crops, as F.pad does.
        int left = FloorDiv2(diffX), top = FloorDiv2(diffY);
        x1 = F.Pad(x1, [left, diffX - left, top, diffY - top]);
        return conv.Forward(Tensor.Cat([skip, x1], 1));
    }

    static int FloorDiv2(int v) => (int)Math.Floor(v / 2.0);
}
