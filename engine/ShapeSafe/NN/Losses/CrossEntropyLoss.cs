namespace ShapeSafe.NN;

/// <summary>
/// Cross entropy between logits and class indices (<c>nn.CrossEntropyLoss</c>): log-softmax and negative
/// log-likelihood in one fused, stable kernel; see <see cref="F.CrossEntropy"/>. Class weights are a buffer
/// named <c>weight</c>, as in PyTorch.
/// </summary>
[Module]
public partial class CrossEntropyLoss : Module
{
    /// <summary>Creates the loss.</summary>
    /// <param name="weight">A weight per class ([C]), or null for equal weights.</param>
    /// <param name="ignoreIndex">A target value that contributes neither loss nor gradient.</param>
    /// <param name="reduction">How the per-sample losses combine (the mean divides by the counted targets' total weight).</param>
    /// <param name="labelSmoothing">ε in [0, 1]: the target becomes (1-ε)·onehot + ε/C.</param>
    public CrossEntropyLoss(Tensor? weight = null, long ignoreIndex = -100, Reduction reduction = Reduction.Mean, double labelSmoothing = 0.0)
    {
        if (labelSmoothing < 0 || labelSmoothing > 1 || double.IsNaN(labelSmoothing))
            throw new ArgumentOutOfRangeException(nameof(labelSmoothing), labelSmoothing, $"CrossEntropyLoss: label_smoothing must be between 0.0 and 1.0, got {labelSmoothing}");
        Weight = weight;
        IgnoreIndex = ignoreIndex;
        Reduction = reduction;
        LabelSmoothing = labelSmoothing;
    }

    /// <summary>The per-class weights, or null.</summary>
    [Buffer, StateName("weight")]
    public Tensor? Weight { get; }

    /// <summary>The ignored target value.</summary>
    public long IgnoreIndex { get; }

    /// <summary>How the per-sample losses combine.</summary>
    public Reduction Reduction { get; }

    /// <summary>The label smoothing ε.</summary>
    public double LabelSmoothing { get; }

    /// <summary>
    /// The loss of logits <paramref name="input"/> [N, C] (or [C], [N, C, d...]) against Int64 classes <paramref name="target"/> [N],
    /// or against class probabilities (a Float32 <paramref name="target"/> of the input's shape).
    /// </summary>
    /// <exception cref="ShapeException">The target's shape does not fit the input's.</exception>
    public Tensor Forward(Tensor input, Tensor target) => F.CrossEntropy(input, target, Weight, IgnoreIndex, Reduction, LabelSmoothing);
}
