using ShapeSafe.NN;

namespace ShapeSafe.Optim;

/// <summary>
/// AdamW (<c>torch.optim.AdamW</c>): <see cref="Adam"/> with decoupled weight decay, <c>p *= 1 - lr * weight_decay</c>
/// before the Adam update instead of adding <c>weight_decay * p</c> to the gradient. The default weight decay is
/// 1e-2. As in PyTorch 2.x, it is Adam with that one switch.
/// </summary>
public sealed class AdamW : Adam
{
    /// <summary>AdamW over one group of <paramref name="parameters"/>.</summary>
    /// <exception cref="ArgumentException">An empty parameter list, or an option out of range (PyTorch's messages).</exception>
    public AdamW(IEnumerable<Parameter> parameters, double lr = 1e-3, (double Beta1, double Beta2)? betas = null, double eps = 1e-8,
        double weightDecay = 1e-2, bool amsgrad = false, bool maximize = false)
        : this(new[] { new AdamParamGroup(NonEmpty(parameters)) }, lr, betas, eps, weightDecay, amsgrad, maximize)
    {
    }

    /// <summary>AdamW over several groups; the arguments are the defaults for options a group leaves unset.</summary>
    /// <param name="groups">The parameter groups.</param>
    /// <param name="lr">Learning rate.</param>
    /// <param name="betas">Decay rates of the moment averages; null means PyTorch's (0.9, 0.999).</param>
    /// <param name="eps">Added to the denominator.</param>
    /// <param name="weightDecay">Decoupled weight decay.</param>
    /// <param name="amsgrad">Whether to use AMSGrad.</param>
    /// <param name="maximize">Whether to maximize the objective.</param>
    public AdamW(IEnumerable<AdamParamGroup> groups, double lr = 1e-3, (double Beta1, double Beta2)? betas = null, double eps = 1e-8,
        double weightDecay = 1e-2, bool amsgrad = false, bool maximize = false)
        : base(groups, lr, betas, eps, weightDecay, amsgrad, maximize, decoupledWeightDecay: true)
    {
    }
}
