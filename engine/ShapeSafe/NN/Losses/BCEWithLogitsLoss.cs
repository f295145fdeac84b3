namespace ShapeSafe.NN;

/// <summary>
/// Sigmoid and binary cross entropy in one stable step (<c>nn.BCEWithLogitsLoss</c>); see
/// <see cref="F.BinaryCrossEntropyWithLogits"/>. The weights are buffers named <c>weight</c> and
/// <c>pos_weight</c>, as in PyTorch.
/// </summary>
[Module]
public partial class BCEWithLogitsLoss : Module
{
    /// <summary>Creates the loss.</summary>
    /// <param name="weight">Element weights (broadcast to the input), or null.</param>
    /// <param name="reduction">How the per-element losses combine.</param>
    /// <param name="posWeight">Weights of the positive term (broadcast to the input, typically one per class [C]), or null.</param>
    public BCEWithLogitsLoss(Tensor? weight = null, Reduction reduction = Reduction.Mean, Tensor? posWeight = null)
    {
        Weight = weight;
        PosWeight = posWeight;
        Reduction = reduction;
    }

    /// <summary>The element weights, or null.</summary>
    [Buffer, StateName("weight")]
    public Tensor? Weight { get; }

    /// <summary>The positive-term weights, or null.</summary>
    [Buffer, StateName("pos_weight")]
    public Tensor? PosWeight { get; }

    /// <summary>How the per-element losses combine.</summary>
    public Reduction Reduction { get; }

    /// <summary>The loss of logits <paramref name="input"/> against <paramref name="target"/> (same shape, values in [0, 1]).</summary>
    /// <exception cref="ShapeException">The shapes differ.</exception>
    public Tensor Forward(Tensor input, Tensor target) => F.BinaryCrossEntropyWithLogits(input, target, Weight, Reduction, PosWeight);
}
