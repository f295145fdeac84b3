namespace ShapeSafe.NN;

/// <summary>
/// Binary cross entropy on probabilities (<c>nn.BCELoss</c>), each log clamped at -100; see
/// <see cref="F.BinaryCrossEntropy"/>. The element weights are a buffer named <c>weight</c>.
/// </summary>
[Module]
public partial class BCELoss : Module
{
    /// <summary>Creates the loss with optional element weights (broadcast to the input) and a reduction.</summary>
    public BCELoss(Tensor? weight = null, Reduction reduction = Reduction.Mean)
    {
        Weight = weight;
        Reduction = reduction;
    }

    /// <summary>The element weights, or null.</summary>
    [Buffer, StateName("weight")]
    public Tensor? Weight { get; }

    /// <summary>How the per-element losses combine.</summary>
    public Reduction Reduction { get; }

    /// <summary>The loss of probabilities <paramref name="input"/> (in [0, 1]) against <paramref name="target"/> (same shape).</summary>
    /// <exception cref="ShapeException">The shapes differ.</exception>
    public Tensor Forward(Tensor input, Tensor target) => F.BinaryCrossEntropy(input, target, Weight, Reduction);
}
