using ShapeSafe;
using ShapeSafe.NN;

namespace ShapeErrors;

/// <summary>
/// A fully connected layer that declares its contract as the engine's layers do: [Dim] on the constructor, [Shape]
/// on Forward. A [Module] class: its weight is registered as the parameter "weight" by the generator.
/// </summary>
[Module]
public sealed partial class Dense : Module, ITensorModule
{
    readonly Parameter _weight;

    public Dense([Dim("In")] int inFeatures, [Dim("Out")] int outFeatures) => _weight = new Parameter(Tensor.Randn(inFeatures, outFeatures));

    [return: Shape("..., Out")]
    public Tensor Forward([Shape("..., In")] Tensor input) => Compute(input);

    Tensor Compute(Tensor input) => input.Matmul(_weight);
}

/// <summary>An element-wise activation: any shape in, the same shape out.</summary>
public sealed class Relu : Module, ITensorModule
{
    [return: Shape("...")]
    public Tensor Forward([Shape("...")] Tensor input) => Compute(input);

    static Tensor Compute(Tensor input) => input.Relu();
}

/// <summary>A valid (unpadded) sliding window of size K over [N, C, H, W]; only its declared shape matters here.</summary>
public sealed class Window : Module, ITensorModule
{
    readonly int _kernel;

    public Window([Dim("K")] int kernelSize) => _kernel = kernelSize;

    [return: Shape("N, C, H - K + 1, W - K + 1")]
    public Tensor Forward([Shape("N, C, H, W")] Tensor input) => Compute(input);

    Tensor Compute(Tensor input) => input.Unfold(2, _kernel, 1).Unfold(3, _kernel, 1).Sum(-1).Sum(-1);
}
