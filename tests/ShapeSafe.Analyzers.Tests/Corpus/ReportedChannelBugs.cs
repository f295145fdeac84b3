// Channel-count bugs from public reports (grayscale images into RGB stems, a residual without its projection),
// ported to ShapeSafe's API; the source and PyTorch's error beside each. Each model is cut to the layer that fails.
using ShapeSafe;
using ShapeSafe.NN;

namespace Corpus.Reported;

// https://github.com/jacobgil/pytorch-grad-cam/issues/141: a grayscale 100x100 image into ResNet-50's RGB stem.
// RuntimeError: Given groups=1, weight of size [64, 3, 7, 7], expected input[1, 1, 100, 100] to have 3 channels, but got 1 channels instead
public sealed class GradCamResNetStem : Module
{
    readonly Conv2d _conv1 = new Conv2d(3, 64, 7, stride: 2, padding: 3, bias: false);
    readonly BatchNorm2d _bn1 = new BatchNorm2d(64);

    public Tensor Forward([Shape("1, 1, 100, 100")] Tensor image) =>
        F.Relu(_bn1.Forward(_conv1.Forward(image))); // BUG: SS0008
}

// https://github.com/lucidrains/vit-pytorch/issues/54: distilling a ViT from a ResNet-50 teacher on grayscale images.
// RuntimeError: Given groups=1, weight of size [64, 3, 7, 7], expected input[64, 1, 224, 224] to have 3 channels, but got 1 channels instead
public sealed class DistillationTeacherStem : Module
{
    readonly Conv2d _conv1 = new Conv2d(3, 64, 7, stride: 2, padding: 3, bias: false);

    public Tensor Forward([Shape("64, 1, 224, 224")] Tensor images) =>
        _conv1.Forward(images); // BUG: SS0008
}

// https://github.com/eriklindernoren/PyTorch-YOLOv3/issues/401: detect.py on a grayscale image with the RGB
// yolov3 config (first layer: 32 filters, size 3, stride 1, pad 1).
// RuntimeError: Given groups=1, weight of size [32, 3, 3, 3], expected input[1, 1, 416, 416] to have 3 channels, but got 1 channels instead
public sealed class DarknetFirstLayer : Module
{
    readonly Sequential _conv0 = new Sequential(new Conv2d(3, 32, 3, stride: 1, padding: 1, bias: false), new BatchNorm2d(32), new LeakyReLU(0.1));

    public Tensor Forward([Shape("1, 1, 416, 416")] Tensor image) =>
        _conv0.Forward(image); // BUG: SS0008
}

// https://github.com/XPixelGroup/BasicSR/issues/112: ESRGAN (RRDBNet, in_nc = 3, nf = 64) trained on grayscale
// 32x32 low-resolution patches.
// RuntimeError: Given groups=1, weight of size [64, 3, 3, 3], expected input[16, 1, 32, 32] to have 3 channels, but got 1 channels instead
public sealed class RrdbNetFirstConv : Module
{
    readonly Conv2d _convFirst = new Conv2d(3, 64, 3, 1, 1);

    public Tensor Forward([Shape("16, 1, 32, 32")] Tensor varL) =>
        _convFirst.Forward(varL); // BUG: SS0008
}

// https://github.com/avBuffer/UNet3plus_pth/issues/19: UNet 3+ (in_channels = 3, first unetConv2 to 64) given the
// one-channel images of the README's dataset.
// RuntimeError: Given groups=1, weight of size [64, 3, 3, 3], expected input[1, 1, 256, 256] to have 3 channels, but got 1 channels instead
public sealed class UNet3PlusConv1 : Module
{
    readonly Sequential _conv1 = new Sequential(
        new Conv2d(3, 64, 3, 1, 1), new BatchNorm2d(64), new ReLU(),
        new Conv2d(64, 64, 3, 1, 1), new BatchNorm2d(64), new ReLU());

    public Tensor Forward([Shape("1, 1, 256, 256")] Tensor inputs) =>
        _conv1.Forward(inputs); // BUG: SS0008
}

// https://github.com/LambdaLabsML/examples/issues/39: fine-tuning Stable Diffusion, the VAE encoder's conv_in
// (3 to 128 channels) given one-channel 512x512 images.
// RuntimeError: Given groups=1, weight of size [128, 3, 3, 3], expected input[3, 1, 512, 512] to have 3 channels, but got 1 channels instead
public sealed class VaeEncoderConvIn : Module
{
    readonly Conv2d _convIn = new Conv2d(3, 128, 3, stride: 1, padding: 1);

    public Tensor Forward([Shape("3, 1, 512, 512")] Tensor pixelValues) =>
        _convIn.Forward(pixelValues); // BUG: SS0008
}

// https://github.com/likyoo/change_detection.pytorch/issues/28: a UNet with in_channels = 1 (the ResNet encoder's
// conv1 rebuilt for one channel) while the loader still yields RGB-converted images.
// RuntimeError: Given groups=1, weight of size [64, 1, 7, 7], expected input[8, 3, 256, 256] to have 1 channels, but got 3 channels instead
public sealed class ChangeDetectionEncoderStem : Module
{
    readonly Conv2d _conv1 = new Conv2d(1, 64, 7, stride: 2, padding: 3, bias: false);

    public Tensor Forward([Shape("8, 3, 256, 256")] Tensor img1) =>
        _conv1.Forward(img1); // BUG: SS0008
}

// https://github.com/GengDavid/pytorch-cpn/issues/45: a Bottleneck (expansion 4) from 256 input planes to
// 4 * 128 = 512 output channels, created without the downsample that projects its residual.
// RuntimeError: The size of tensor a (512) must match the size of tensor b (256) at non-singleton dimension 1
public sealed class CpnBottleneck : Module
{
    readonly Conv2d _conv1 = new Conv2d(256, 128, 1, bias: false);
    readonly BatchNorm2d _bn1 = new BatchNorm2d(128);
    readonly Conv2d _conv2 = new Conv2d(128, 128, 3, stride: 1, padding: 1, bias: false);
    readonly BatchNorm2d _bn2 = new BatchNorm2d(128);
    readonly Conv2d _conv3 = new Conv2d(128, 128 * 4, 1, bias: false);
    readonly BatchNorm2d _bn3 = new BatchNorm2d(128 * 4);

    public Tensor Forward([Shape("N, 256, H, W")] Tensor x)
    {
        var residual = x;
        var @out = F.Relu(_bn1.Forward(_conv1.Forward(x)));
        @out = F.Relu(_bn2.Forward(_conv2.Forward(@out)));
        @out = _bn3.Forward(_conv3.Forward(@out));
        @out = @out + residual; // BUG: SS0005
        return F.Relu(@out);
    }
}
