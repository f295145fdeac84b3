using ShapeSafe.NN;

namespace ShapeSafe.Conformance.Models;

/// <summary>
/// torchvision's <c>BasicBlock</c>: two 3×3 convolutions with batch norm, added to the input (or to its 1×1
/// projection, <c>downsample</c>, when the stride or the width changes). The members are declared in
/// torchvision's order, so the state dict lists <c>conv1.weight</c>, <c>bn1.*</c>, <c>conv2.weight</c>,
/// <c>bn2.*</c> and then <c>downsample.0.weight</c>, <c>downsample.1.*</c>.
/// </summary>
[Module]
public sealed partial class BasicBlock : Module, ITensorModule
{
    /// <summary>The factor between the block's width and its output channels (1 for the basic block).</summary>
    public const int Expansion = 1;

    readonly Conv2d conv1;
    readonly BatchNorm2d bn1;
    readonly ReLU relu = new();
    readonly Conv2d conv2;
    readonly BatchNorm2d bn2;
    // null (no child, as torchvision's None) when the block keeps its input's shape.
    readonly Sequential? downsample;

    /// <summary>A block from <paramref name="inPlanes"/> to <paramref name="planes"/> channels.</summary>
    /// <param name="inPlanes">The input's channels.</param>
    /// <param name="planes">The output's channels.</param>
    /// <param name="stride">The first convolution's stride (2 halves the resolution).</param>
    /// <param name="downsample">The shortcut's projection, or null for the identity.</param>
    public BasicBlock(int inPlanes, int planes, int stride = 1, Sequential? downsample = null)
    {
        conv1 = new Conv2d(inPlanes, planes, 3, stride: stride, padding: 1, bias: false);
        bn1 = new BatchNorm2d(planes);
        conv2 = new Conv2d(planes, planes, 3, padding: 1, bias: false);
        bn2 = new BatchNorm2d(planes);
        this.downsample = downsample;
        Stride = stride;
    }

    /// <summary>The first convolution's stride.</summary>
    public int Stride { get; }

    /// <summary>The second batch norm, whose weight torchvision's <c>zero_init_residual</c> sets to zero.</summary>
    public BatchNorm2d Bn2 => bn2;

    /// <summary>relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x)).</summary>
    public Tensor Forward(Tensor input)
    {
        var x = relu.Forward(bn1.Forward(conv1.Forward(input)));
        x = bn2.Forward(conv2.Forward(x));
        var identity = downsample is null ? input : downsample.Forward(input);
        return relu.Forward(x + identity);
    }
}
