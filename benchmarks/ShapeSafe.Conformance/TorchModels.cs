using TorchSharp;
using TorchSharp.Modules;
using T = TorchSharp.torch;
using TF = TorchSharp.torch.nn.functional;

namespace ShapeSafe.Conformance;

// The reference models built from TorchSharp's nn modules (the TorchSharp package has no torchvision models), each
// child registered under the name PyTorch's model gives it, in the same order, so both sides' state dicts can be
// matched by name. TorchSharp also registers a module's fields under the fields' own names, so each field holding
// a child is named exactly as PyTorch's attribute (double_conv, maxpool_conv, up1, ...).

/// <summary>torchvision's BasicBlock.</summary>
sealed class TorchBasicBlock : T.nn.Module<T.Tensor, T.Tensor>
{
    readonly Conv2d conv1;
    readonly BatchNorm2d bn1;
    readonly Conv2d conv2;
    readonly BatchNorm2d bn2;
    readonly Sequential? downsample;

    public TorchBasicBlock(long inPlanes, long planes, long stride, Sequential? downsample) : base("BasicBlock")
    {
        conv1 = T.nn.Conv2d(inPlanes, planes, 3, stride: stride, padding: 1, bias: false);
        bn1 = T.nn.BatchNorm2d(planes);
        conv2 = T.nn.Conv2d(planes, planes, 3, padding: 1, bias: false);
        bn2 = T.nn.BatchNorm2d(planes);
        this.downsample = downsample;
        register_module("conv1", conv1);
        register_module("bn1", bn1);
        register_module("relu", T.nn.ReLU());
        register_module("conv2", conv2);
        register_module("bn2", bn2);
        if (downsample is not null) register_module("downsample", downsample);
    }

    public override T.Tensor forward(T.Tensor input)
    {
        var x = TF.relu(bn1.forward(conv1.forward(input)));
        x = bn2.forward(conv2.forward(x));
        return TF.relu(x + (downsample is null ? input : downsample.forward(input)));
    }
}

/// <summary>torchvision's resnet18().</summary>
sealed class TorchResNet18 : T.nn.Module<T.Tensor, T.Tensor>
{
    readonly Conv2d conv1;
    readonly BatchNorm2d bn1;
    readonly ReLU relu;
    readonly MaxPool2d maxpool;
    readonly Sequential layer1, layer2, layer3, layer4;
    readonly AdaptiveAvgPool2d avgpool;
    readonly Linear fc;
    long inPlanes = 64;

    public TorchResNet18(long numClasses = 1000) : base("ResNet")
    {
        conv1 = T.nn.Conv2d(3, 64, 7, stride: 2, padding: 3, bias: false);
        bn1 = T.nn.BatchNorm2d(64);
        relu = T.nn.ReLU();
        maxpool = T.nn.MaxPool2d(3, 2, 1);
        layer1 = Layer(64, 2, 1);
        layer2 = Layer(128, 2, 2);
        layer3 = Layer(256, 2, 2);
        layer4 = Layer(512, 2, 2);
        avgpool = T.nn.AdaptiveAvgPool2d(new long[] { 1, 1 });
        fc = T.nn.Linear(512, numClasses);
        register_module("conv1", conv1);
        register_module("bn1", bn1);
        register_module("relu", relu);
        register_module("maxpool", maxpool);
        register_module("layer1", layer1);
        register_module("layer2", layer2);
        register_module("layer3", layer3);
        register_module("layer4", layer4);
        register_module("avgpool", avgpool);
        register_module("fc", fc);
    }

    Sequential Layer(long planes, int blocks, long stride)
    {
        Sequential? downsample = stride != 1 || inPlanes != planes
            ? T.nn.Sequential(T.nn.Conv2d(inPlanes, planes, 1, stride: stride, bias: false), T.nn.BatchNorm2d(planes))
            : null;
        var list = new List<T.nn.Module<T.Tensor, T.Tensor>> { new TorchBasicBlock(inPlanes, planes, stride, downsample) };
        inPlanes = planes;
        for (int i = 1; i < blocks; i++) list.Add(new TorchBasicBlock(planes, planes, 1, null));
        return T.nn.Sequential(list.ToArray());
    }

    public override T.Tensor forward(T.Tensor input)
    {
        var x = maxpool.forward(relu.forward(bn1.forward(conv1.forward(input))));
        x = layer4.forward(layer3.forward(layer2.forward(layer1.forward(x))));
        return fc.forward(avgpool.forward(x).flatten(1));
    }
}

/// <summary>milesial Pytorch-UNet's DoubleConv.</summary>
sealed class TorchDoubleConv : T.nn.Module<T.Tensor, T.Tensor>
{
    readonly Sequential double_conv;

    public TorchDoubleConv(long inChannels, long outChannels, long? midChannels = null) : base("DoubleConv")
    {
        long mid = midChannels ?? outChannels;
        double_conv = T.nn.Sequential(
            T.nn.Conv2d(inChannels, mid, 3, padding: 1, bias: false), T.nn.BatchNorm2d(mid), T.nn.ReLU(),
            T.nn.Conv2d(mid, outChannels, 3, padding: 1, bias: false), T.nn.BatchNorm2d(outChannels), T.nn.ReLU());
        register_module("double_conv", double_conv);
    }

    public override T.Tensor forward(T.Tensor input) => double_conv.forward(input);
}

/// <summary>milesial Pytorch-UNet's UNet (with its Down, Up and OutConv written inline as Sequential and a local module).</summary>
sealed class TorchUNet : T.nn.Module<T.Tensor, T.Tensor>
{
    sealed class Down : T.nn.Module<T.Tensor, T.Tensor>
    {
        readonly Sequential maxpool_conv;

        public Down(long inChannels, long outChannels) : base("Down")
        {
            maxpool_conv = T.nn.Sequential(T.nn.MaxPool2d(2), new TorchDoubleConv(inChannels, outChannels));
            register_module("maxpool_conv", maxpool_conv);
        }

        public override T.Tensor forward(T.Tensor input) => maxpool_conv.forward(input);
    }

    sealed class Up : T.nn.Module<T.Tensor, T.Tensor, T.Tensor>
    {
        readonly T.nn.Module<T.Tensor, T.Tensor> up;
        readonly TorchDoubleConv conv;

        public Up(long inChannels, long outChannels, bool bilinear) : base("Up")
        {
            if (bilinear)
            {
                up = T.nn.Upsample(null, new[] { 2.0, 2.0 }, T.UpsampleMode.Bilinear, true);
                conv = new TorchDoubleConv(inChannels, outChannels, inChannels / 2);
            }
            else
            {
                up = T.nn.ConvTranspose2d(inChannels, inChannels / 2, 2, stride: 2);
                conv = new TorchDoubleConv(inChannels, outChannels);
            }
            register_module("up", up);
            register_module("conv", conv);
        }

        public override T.Tensor forward(T.Tensor deeper, T.Tensor skip)
        {
            var x1 = up.forward(deeper);
            long diffY = skip.shape[2] - x1.shape[2], diffX = skip.shape[3] - x1.shape[3];
            long left = (long)Math.Floor(diffX / 2.0), top = (long)Math.Floor(diffY / 2.0);
            x1 = TF.pad(x1, new[] { left, diffX - left, top, diffY - top });
            return conv.forward(T.cat(new[] { skip, x1 }, 1));
        }
    }

    // OutConv: the 1x1 convolution as its child "conv" (forward goes to the convolution directly).
    sealed class OutConv : T.nn.Module<T.Tensor, T.Tensor>
    {
        readonly Conv2d conv;

        public OutConv(Conv2d conv) : base("OutConv")
        {
            this.conv = conv;
            register_module("conv", conv);
        }

        public override T.Tensor forward(T.Tensor input) => conv.forward(input);
    }

    readonly TorchDoubleConv inc;
    readonly Down down1, down2, down3, down4;
    readonly Up up1, up2, up3, up4;
    readonly OutConv outc;

    public TorchUNet(long nChannels, long nClasses, bool bilinear) : base("UNet")
    {
        long factor = bilinear ? 2 : 1;
        inc = new TorchDoubleConv(nChannels, 64);
        down1 = new Down(64, 128);
        down2 = new Down(128, 256);
        down3 = new Down(256, 512);
        down4 = new Down(512, 1024 / factor);
        up1 = new Up(1024, 512 / factor, bilinear);
        up2 = new Up(512, 256 / factor, bilinear);
        up3 = new Up(256, 128 / factor, bilinear);
        up4 = new Up(128, 64, bilinear);
        outc = new OutConv(T.nn.Conv2d(64, nClasses, 1));
        register_module("inc", inc);
        register_module("down1", down1);
        register_module("down2", down2);
        register_module("down3", down3);
        register_module("down4", down4);
        register_module("up1", up1);
        register_module("up2", up2);
        register_module("up3", up3);
        register_module("up4", up4);
        register_module("outc", outc);
    }

    public override T.Tensor forward(T.Tensor input)
    {
        var x1 = inc.forward(input);
        var x2 = down1.forward(x1);
        var x3 = down2.forward(x2);
        var x4 = down3.forward(x3);
        var x5 = down4.forward(x4);
        var x = up1.forward(x5, x4);
        x = up2.forward(x, x3);
        x = up3.forward(x, x2);
        return outc.forward(up4.forward(x, x1));
    }
}
