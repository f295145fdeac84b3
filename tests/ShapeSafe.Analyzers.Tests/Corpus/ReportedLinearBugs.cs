// Fully connected layers sized for the wrong input, from public reports, ported to ShapeSafe's API;
// the source and PyTorch's error beside each. Backbones the report only names (VGG16's features, a ResNet
// trunk, ERFNet's encoder) are given as their output's [Shape], the size the report prints.
using ShapeSafe;
using ShapeSafe.NN;

namespace Corpus.Reported;

// https://github.com/facebookresearch/CrypTen/issues/487 (the PyCon 2020 tutorial "Training a Model on Encrypted
// Data"): the logistic regression gets the [100, 1, 28, 28] images without flattening them.
// RuntimeError: mat1 and mat2 shapes cannot be multiplied (2800x28 and 784x10)
public sealed class EncryptedLogisticRegression : Module
{
    readonly Linear _linear = new Linear(784, 10);

    public Tensor Forward([Shape("100, 1, 28, 28")] Tensor images) =>
        _linear.Forward(images); // BUG: SS0008
}

// https://github.com/facebookresearch/CrypTen/issues/487, the tutorial's CNN (after pytorch/examples' MNIST net)
// as the reporter ran it, without the flatten before fc1 (the fix adds x.view(x.size(0), -1)); a batch of 10.
// RuntimeError: mat1 and mat2 shapes cannot be multiplied (7680x12 and 9216x128)
public sealed class EncryptedMnistCnn : Module
{
    readonly Conv2d _conv1 = new Conv2d(1, 32, 3, 1);
    readonly Conv2d _conv2 = new Conv2d(32, 64, 3, 1);
    readonly Dropout _dropout1 = new Dropout(0.25);
    readonly Dropout _dropout2 = new Dropout(0.5);
    readonly Linear _fc1 = new Linear(9216, 128);
    readonly Linear _fc2 = new Linear(128, 10);

    public Tensor Forward([Shape("10, 1, 28, 28")] Tensor x)
    {
        x = F.Relu(_conv1.Forward(x));                 // [10, 32, 26, 26]
        x = F.Relu(_conv2.Forward(x));                 // [10, 64, 24, 24]
        x = F.MaxPool2d(x, 2);                         // [10, 64, 12, 12]
        x = _dropout1.Forward(x);
        x = _fc1.Forward(x); // BUG: SS0008
        x = _dropout2.Forward(F.Relu(x));
        return _fc2.Forward(x);
    }
}

// https://github.com/blackfeather-wang/ISDA-for-Deep-Networks/issues/2: the ISDA head Full_layer(84, 10) is put
// after a CIFAR-10 net whose own fc3 already returns the 10 class scores (the head expects the 84 features).
// RuntimeError: size mismatch, m1: [4 x 10], m2: [84 x 10]
public sealed class IsdaCifarNet : Module
{
    readonly Conv2d _conv1 = new Conv2d(3, 64, 5);
    readonly MaxPool2d _pool = new MaxPool2d(2, 2);
    readonly Conv2d _conv2 = new Conv2d(64, 256, 5);
    readonly Linear _fc1 = new Linear(256 * 5 * 5, 120);
    readonly Linear _fc2 = new Linear(120, 84);
    readonly Linear _fc3 = new Linear(84, 10);
    readonly Linear _fullLayer = new Linear(84, 10);   // Full_layer(feature_num = 84, num_classes = 10)

    public Tensor Forward([Shape("4, 3, 32, 32")] Tensor x)
    {
        x = _pool.Forward(F.Mish(_conv1.Forward(x)));
        x = _pool.Forward(F.Mish(_conv2.Forward(x)));
        x = x.View(-1, 256 * 5 * 5);
        x = F.Mish(_fc1.Forward(x));
        x = F.Mish(_fc2.Forward(x));
        x = _fc3.Forward(x);                            // [4, 10]
        return _fullLayer.Forward(x); // BUG: SS0008
    }
}

// https://github.com/moskomule/senet.pytorch/issues/35: an SELayer built for 64 channels (reduction 16) inside a
// block whose output has 256 channels.
// RuntimeError: size mismatch, m1: [1 x 256], m2: [64 x 4]
public sealed class SeLayerWrongChannels : Module
{
    readonly AdaptiveAvgPool2d _avgPool = new AdaptiveAvgPool2d(1);
    readonly Sequential _fc = new Sequential(new Linear(64, 64 / 16, bias: false), new ReLU(), new Linear(64 / 16, 64, bias: false), new Sigmoid());

    public Tensor Forward([Shape("1, 256, H, W")] Tensor x)
    {
        int b = x.Size(0), c = x.Size(1);
        var y = _avgPool.Forward(x).View(b, c);
        y = _fc.Forward(y).View(b, c, 1, 1); // BUG: SS0008
        return x * y;
    }
}

// https://github.com/shirleyzhu233/PyTorch-MAML/issues/7: the Conv-4 backbone (32 channels, 3x3 conv, BN, ReLU,
// 2x2 max pool, four times) with its 5-way classifier sized for 84x84 images (32*5*5 = 800), given 224x224 images.
// RuntimeError: size mismatch, m1: [5 x 6272], m2: [800 x 5]
public sealed class MamlConv4 : Module
{
    readonly Sequential _encoder = new Sequential(
        new Conv2d(3, 32, 3, padding: 1), new BatchNorm2d(32), new ReLU(), new MaxPool2d(2),
        new Conv2d(32, 32, 3, padding: 1), new BatchNorm2d(32), new ReLU(), new MaxPool2d(2),
        new Conv2d(32, 32, 3, padding: 1), new BatchNorm2d(32), new ReLU(), new MaxPool2d(2),
        new Conv2d(32, 32, 3, padding: 1), new BatchNorm2d(32), new ReLU(), new MaxPool2d(2));
    readonly Linear _classifier = new Linear(800, 5);

    public Tensor Forward([Shape("5, 3, 224, 224")] Tensor x)
    {
        var features = _encoder.Forward(x).View(x.Size(0), -1);   // [5, 32*14*14] = [5, 6272]
        return _classifier.Forward(features); // BUG: SS0008
    }
}

// https://github.com/shubhraaich/heatmap-regulation/issues/7: VGG16's classifier replaced by Linear(512, 1), while
// VGG16's pooled features flatten to 512*7*7 = 25088.
// RuntimeError: size mismatch, m1: [32 x 25088], m2: [512 x 1]
public sealed class VggCellCounter : Module
{
    readonly Linear _classifier = new Linear(512, 1);

    public Tensor Forward([Shape("32, 512, 7, 7")] Tensor pooledFeatures) =>
        _classifier.Forward(pooledFeatures.Flatten(1)); // BUG: SS0008
}

// https://github.com/yunjey/pytorch-tutorial/issues/94 (pytorch_basics): resnet18 with fc = Linear(512, 100) given
// 256x256 images; torchvision's ResNet then pooled with AvgPool2d(7, stride=1), so layer4's 8x8 map leaves 2x2.
// "the final linear layer will have size 2048, while the model expects it to be 512"
public sealed class FinetunedResNet18Head : Module
{
    readonly AvgPool2d _avgPool = new AvgPool2d(7, stride: 1);
    readonly Linear _fc = new Linear(512, 100);

    public Tensor Forward([Shape("10, 512, 8, 8")] Tensor layer4)
    {
        var x = _avgPool.Forward(layer4);      // [10, 512, 2, 2]
        x = x.View(x.Size(0), -1);             // [10, 2048]
        return _fc.Forward(x); // BUG: SS0008
    }
}

// https://github.com/fabvio/ld-lsi/issues/10: ERFNet's road branch flattens into Linear(512 * 3 * 5, 1024), sized
// for 640x360 input; at 640x480 the branch's map is 4x5 (the reporter's fix: Linear(512 * 4 * 5, 1024)).
// RuntimeError: size mismatch, m1: [1 x 10240], m2: [7680 x 1024]
public sealed class ErfNetRoadHead : Module
{
    readonly Linear _roadLinear1 = new Linear(512 * 3 * 5, 1024);

    public Tensor Forward([Shape("1, 512, 4, 5")] Tensor outputRoad)
    {
        outputRoad = outputRoad.View(outputRoad.Size(0), -1);
        return _roadLinear1.Forward(outputRoad); // BUG: SS0008
    }
}

// https://github.com/pytorch/pytorch/issues/38469: the tutorial's CIFAR LeNet traced with 21x21 inputs, so the
// second pool leaves 16x2x2 per image and view(-1, 16*5*5) cannot split 6*64 = 384 elements.
// RuntimeError: shape '[-1, 400]' is invalid for input of size 384
public sealed class LeNetSmallInput : Module
{
    readonly Conv2d _conv1 = new Conv2d(3, 6, 5);
    readonly MaxPool2d _pool = new MaxPool2d(2, 2);
    readonly Conv2d _conv2 = new Conv2d(6, 16, 5);
    readonly Linear _fc1 = new Linear(16 * 5 * 5, 120);
    readonly Linear _fc2 = new Linear(120, 84);
    readonly Linear _fc3 = new Linear(84, 10);

    public Tensor Forward([Shape("6, 3, 21, 21")] Tensor x)
    {
        x = _pool.Forward(F.Relu(_conv1.Forward(x)));
        x = _pool.Forward(F.Relu(_conv2.Forward(x)));
        x = x.View(-1, 16 * 5 * 5); // BUG: SS0004
        x = F.Relu(_fc1.Forward(x));
        x = F.Relu(_fc2.Forward(x));
        return _fc3.Forward(x);
    }
}
