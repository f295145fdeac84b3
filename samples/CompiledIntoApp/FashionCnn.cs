using ShapeSafe.NN;

namespace ShapeSafe.Samples.CompiledIntoApp;

/// <summary>
/// The 2-conv CNN of Fashion-MNIST's benchmark table as its own module: fields hold the layers,
/// <see cref="Forward"/> connects them. About 20,000 parameters, so the trained weights are an 82 KB file.
/// </summary>
/// <remarks>
/// A <c>[Module]</c> class: the source generator registers the fields as the children <c>conv1</c>, <c>conv2</c>
/// and <c>fc</c> (declaration order, the leading <c>_</c> dropped), the names the weights file holds.
/// </remarks>
[Module]
public sealed partial class FashionCnn : Module, ITensorModule
{
    readonly Conv2d _conv1 = new(1, 16, 3, padding: 1);
    readonly Conv2d _conv2 = new(16, 32, 3, padding: 1);
    readonly Linear _fc = new(32 * 7 * 7, 10);

    /// <summary>The class scores (logits) of a batch of images.</summary>
    [return: Shape("N, 10")]
    public Tensor Forward([Shape("N, 1, 28, 28")] Tensor images)
    {
        var x = F.MaxPool2d(F.Relu(_conv1.Forward(images)), 2);
        x = F.MaxPool2d(F.Relu(_conv2.Forward(x)), 2);
        return _fc.Forward(x.Flatten(1));
    }
}
