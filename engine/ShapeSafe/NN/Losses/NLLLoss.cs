namespace ShapeSafe.NN;

/// <summary>
/// The negative log-likelihood of class indices under log-probabilities (<c>nn.NLLLoss</c>), typically after
/// <see cref="LogSoftmax"/>; see <see cref="F.NllLoss"/>. Class weights are a buffer named <c>weight</c>.
/// </summary>
[Module]
public partial class NLLLoss : Module
{
    /// <summary>Creates the loss.</summary>
    /// <param name="weight">A weight per class ([C]), or null for equal weights.</param>
    /// <param name="ignoreIndex">A target value that contributes neither loss nor gradient.</param>
    /// <param name="reduction">How the per-sample losses combine (the mean divides by the counted targets' total weight).</param>
    public NLLLoss(Tensor? weight = null, long ignoreIndex = -100, Reduction reduction = Reduction.Mean)
    {
        Weight = weight;
        IgnoreIndex = ignoreIndex;
        Reduction = reduction;
    }

    /// <summary>The per-class weights, or null.</summary>
    [Buffer, StateName("weight")]
    public Tensor? Weight { get; }

    /// <summary>The ignored target value.</summary>
    public long IgnoreIndex { get; }

    /// <summary>How the per-sample losses combine.</summary>
    public Reduction Reduction { get; }

    /// <summary>The loss of log-probabilities <paramref name="input"/> [N, C] against Int64 classes <paramref name="target"/> [N].</summary>
    /// <exception cref="ShapeException">The target's shape does not fit the input's.</exception>
    public Tensor Forward(Tensor input, Tensor target) => F.NllLoss(input, target, Weight, IgnoreIndex, Reduction);
}
