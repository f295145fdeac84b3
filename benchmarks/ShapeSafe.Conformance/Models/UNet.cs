using ShapeSafe.NN;

namespace ShapeSafe.Conformance.Models;

/// <summary>
/// milesial Pytorch-UNet's <c>UNet</c>, with its state-dict names (<c>inc.double_conv.0.weight</c>,
/// <c>down1.maxpool_conv.1.double_conv.0.weight</c>, ..., <c>up1.up.weight</c>, <c>up1.conv.double_conv...</c>,
/// <c>outc.conv.weight</c>), so a checkpoint of that repository's model loads by name. Any input height and
/// width of at least 16 works: each up step pads its upsampled map to the skip connection's size.
/// </summary>
[Module]
public sealed partial class UNet : Module, ITensorModule
{
    readonly DoubleConv inc;
    readonly Down down1;
    readonly Down down2;
    readonly Down down3;
    readonly Down down4;
    readonly Up up1;
    readonly Up up2;
    readonly Up up3;
    readonly Up up4;
    readonly OutConv outc;

    /// <summary>A UNet from <paramref name="nChannels"/> input channels to <paramref name="nClasses"/> class maps.</summary>
    /// <param name="nChannels">The input's channels (3 for RGB).</param>
    /// <param name="nClasses">The output's channels (the logits per class).</param>
    /// <param name="bilinear">Upsample bilinearly (half the deepest width) instead of with transposed convolutions.</param>
    public UNet(int nChannels, int nClasses, bool bilinear = false)
    {
        NChannels = nChannels;
        NClasses = nClasses;
        Bilinear = bilinear;
        int factor = bilinear ? 2 : 1;
        inc = new DoubleConv(nChannels, 64);
        down1 = new Down(64, 128);
        down2 = new Down(128, 256);
        down3 = new Down(256, 512);
        down4 = new Down(512, 1024 / factor);
        up1 = new Up(1024, 512 / factor, bilinear);
        up2 = new Up(512, 256 / factor, bilinear);
        up3 = new Up(256, 128 / factor, bilinear);
        up4 = new Up(128, 64, bilinear);
        outc = new OutConv(64, nClasses);
    }

    /// <summary>The input's channels.</summary>
    public int NChannels { get; }

    /// <summary>The output's channels.</summary>
    public int NClasses { get; }

    /// <summary>Whether the up steps are bilinear.</summary>
    public bool Bilinear { get; }

    /// <summary>The logits [N, classes, H, W] of images [N, channels, H, W].</summary>
    public Tensor Forward(Tensor input)
    {
        var x1 = inc.Forward(input);
        var x2 = down1.Forward(x1);
        var x3 = down2.Forward(x2);
        var x4 = down3.Forward(x3);
        var x5 = down4.Forward(x4);
        var x = up1.Forward(x5, x4);
        x = up2.Forward(x, x3);
        x = up3.Forward(x, x2);
        x = up4.Forward(x, x1);
        return outc.Forward(x);
    }
}
