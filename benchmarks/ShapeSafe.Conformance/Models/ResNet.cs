using ShapeSafe.NN;

namespace ShapeSafe.Conformance.Models;

/// <summary>
/// torchvision's <c>ResNet</c> built of <see cref="BasicBlock"/>s (ResNet-18 and ResNet-34), with torchvision's
/// state-dict names: <c>conv1</c>, <c>bn1</c>, <c>layer1.0.conv1</c>, ..., <c>layer2.0.downsample.0</c>, ...,
/// <c>fc</c>, so a checkpoint saved from <c>torchvision.models.resnet18()</c> loads by name.
/// </summary>
/// <remarks>
/// The initialization is torchvision's: convolutions Kaiming-normal (fan_out, relu), batch norms weight 1 and
/// bias 0; the linear layer keeps <see cref="Linear"/>'s default, as torchvision's does.
/// </remarks>
[Module]
public sealed partial class ResNet : Module, ITensorModule
{
    readonly Conv2d conv1 = new(3, 64, 7, stride: 2, padding: 3, bias: false);
    readonly BatchNorm2d bn1 = new(64);
    readonly ReLU relu = new();
    readonly MaxPool2d maxpool = new(3, 2, 1);
    readonly Sequential layer1;
    readonly Sequential layer2;
    readonly Sequential layer3;
    readonly Sequential layer4;
    readonly AdaptiveAvgPool2d avgpool = new((1, 1));
    readonly Linear fc;

    int inPlanes = 64;

    /// <summary>A ResNet of basic blocks, <paramref name="layers"/>[i] blocks in stage i + 1.</summary>
    /// <param name="layers">The number of blocks in each of the four stages ([2, 2, 2, 2] for ResNet-18).</param>
    /// <param name="numClasses">The classifier's outputs.</param>
    /// <param name="zeroInitResidual">Zero each block's last batch-norm weight (torchvision's option of that name).</param>
    public ResNet(int[] layers, int numClasses = 1000, bool zeroInitResidual = false)
    {
        ArgumentNullException.ThrowIfNull(layers);
        if (layers.Length != 4) throw new ArgumentException($"ResNet: expected 4 stage sizes, got {layers.Length}", nameof(layers));
        layer1 = MakeLayer(64, layers[0]);
        layer2 = MakeLayer(128, layers[1], stride: 2);
        layer3 = MakeLayer(256, layers[2], stride: 2);
        layer4 = MakeLayer(512, layers[3], stride: 2);
        fc = new Linear(512 * BasicBlock.Expansion, numClasses);
        NumClasses = numClasses;

        foreach (var m in Modules())
        {
            if (m is Conv2d conv) Init.KaimingNormal(conv.Weight, mode: "fan_out", nonlinearity: "relu");
            else if (m is BatchNorm2d bn)
            {
                Init.Ones(bn.Weight!);
                Init.Zeros(bn.Bias!);
            }
        }
        if (zeroInitResidual)
            foreach (var m in Modules())
                if (m is BasicBlock block) Init.Zeros(block.Bn2.Weight!);
    }

    /// <summary>torchvision's <c>resnet18()</c>: [2, 2, 2, 2] basic blocks, 11,689,512 parameters for 1000 classes.</summary>
    public static ResNet ResNet18(int numClasses = 1000) => new([2, 2, 2, 2], numClasses);

    /// <summary>The classifier's outputs.</summary>
    public int NumClasses { get; }

    Sequential MakeLayer(int planes, int blocks, int stride = 1)
    {
        Sequential? downsample = null;
        if (stride != 1 || inPlanes != planes * BasicBlock.Expansion)
            downsample = new Sequential(
                new Conv2d(inPlanes, planes * BasicBlock.Expansion, 1, stride: stride, bias: false),
                new BatchNorm2d(planes * BasicBlock.Expansion));
        var layer = new Sequential(new BasicBlock(inPlanes, planes, stride, downsample));
        inPlanes = planes * BasicBlock.Expansion;
        for (int i = 1; i < blocks; i++) layer.Append(new BasicBlock(inPlanes, planes));
        return layer;
    }

    /// <summary>The class scores [N, classes] of images [N, 3, H, W].</summary>
    public Tensor Forward(Tensor input)
    {
        var x = maxpool.Forward(relu.Forward(bn1.Forward(conv1.Forward(input))));
        x = layer4.Forward(layer3.Forward(layer2.Forward(layer1.Forward(x))));
        return fc.Forward(avgpool.Forward(x).Flatten(1));
    }
}
