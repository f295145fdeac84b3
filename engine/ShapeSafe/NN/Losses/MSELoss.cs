namespace ShapeSafe.NN;

/// <summary>The mean squared error <c>(input - target)²</c>, reduced (<c>nn.MSELoss</c>); see <see cref="F.MseLoss"/>.</summary>
public class MSELoss : Module
{
    /// <summary>Creates the loss with the given reduction (PyTorch's default: mean).</summary>
    public MSELoss(Reduction reduction = Reduction.Mean) => Reduction = reduction;

    /// <summary>How the per-element losses combine.</summary>
    public Reduction Reduction { get; }

    /// <summary>The loss of <paramref name="input"/> against <paramref name="target"/> (same shape).</summary>
    /// <exception cref="ShapeException">The shapes differ.</exception>
    public Tensor Forward(Tensor input, Tensor target) => F.MseLoss(input, target, Reduction);
}
