using ShapeSafe.NN;

namespace ShapeSafe.Samples.CompiledIntoApp;

/// <summary>
/// The 2-conv CNN of Fashion-MNIST's benchmark table as its own module: fields hold the layers,
/// <see cref="Forward"/> connects them. About 20,000 parameters, so the trained weights are an 82 KB file.
/// </summary>
/// <remarks>
/// The constructor registers the layers by hand, as the engine's own layers register theirs. It is the code
/// the <c>[Module]</c> source generator writes (children in declaration order, named without the leading
/// <c>_</c>): with the generator, the class gains <c>[Module]</c> and the constructor goes.
/// </remarks>
public sealed partial class FashionCnn : Module, ITensorModule
{
    readonly Conv2d _conv1 = new(1, 16, 3, padding: 1);
    readonly Conv2d _conv2 = new(16, 32, 3, padding: 1);
    readonly Linear _fc = new(32 * 7 * 7, 10);

    /// <summary>Creates the model with PyTorch's default initialization, drawn from the default generator.</summary>
    public FashionCnn()
    {
        RegisterModule("conv1", _conv1);
        RegisterModule("conv2", _conv2);
        RegisterModule("fc", _fc);
    }

    /// <summary>The class scores (logits) of a batch of images.</summary>
    [return: Shape("N, 10")]
    public Tensor Forward([Shape("N, 1, 28, 28")] Tensor images)
    {
        var x = F.MaxPool2d(F.Relu(_conv1.Forward(images)), 2);
        x = F.MaxPool2d(F.Relu(_conv2.Forward(x)), 2);
        return _fc.Forward(x.Flatten(1));
    }
}
