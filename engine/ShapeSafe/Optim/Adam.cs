using ShapeSafe.NN;

namespace ShapeSafe.Optim;

/// <summary>
/// Adam (<c>torch.optim.Adam</c>), optionally AMSGrad. Follows PyTorch 2.x's <c>_single_tensor_adam</c> operation
/// for operation in Float32: <c>step += 1</c>; weight decay (added to the gradient here, decoupled in
/// <see cref="AdamW"/>); <c>exp_avg.lerp_(grad, 1 - beta1)</c>;
/// <c>exp_avg_sq.mul_(beta2).addcmul_(grad, grad, 1 - beta2)</c>; <c>step_size = lr / (1 - beta1^step)</c> and
/// <c>sqrt(1 - beta2^step)</c> in double; <c>denom = sqrt(v) / bias_correction2_sqrt + eps</c>, v being
/// <c>max_exp_avg_sq</c> (the running maximum) with AMSGrad; <c>p.addcdiv_(exp_avg, denom, -step_size)</c>.
/// </summary>
public class Adam : Optimizer
{
    readonly bool _decoupledWeightDecay;

    /// <summary>Adam over one group of <paramref name="parameters"/>.</summary>
    /// <exception cref="ArgumentException">An empty parameter list, or an option out of range (PyTorch's messages).</exception>
    public Adam(IEnumerable<Parameter> parameters, double lr = 1e-3, (double Beta1, double Beta2)? betas = null, double eps = 1e-8,
        double weightDecay = 0, bool amsgrad = false, bool maximize = false)
        : this(new[] { new AdamParamGroup(NonEmpty(parameters)) }, lr, betas, eps, weightDecay, amsgrad, maximize)
    {
    }

    /// <summary>Adam over several groups; the arguments are the defaults for options a group leaves unset.</summary>
    /// <param name="groups">The parameter groups.</param>
    /// <param name="lr">Learning rate.</param>
    /// <param name="betas">Decay rates of the moment averages; null means PyTorch's (0.9, 0.999).</param>
    /// <param name="eps">Added to the denominator.</param>
    /// <param name="weightDecay">L2 penalty.</param>
    /// <param name="amsgrad">Whether to use AMSGrad.</param>
    /// <param name="maximize">Whether to maximize the objective.</param>
    public Adam(IEnumerable<AdamParamGroup> groups, double lr = 1e-3, (double Beta1, double Beta2)? betas = null, double eps = 1e-8,
        double weightDecay = 0, bool amsgrad = false, bool maximize = false)
        : this(groups, lr, betas, eps, weightDecay, amsgrad, maximize, decoupledWeightDecay: false)
    {
    }

    /// <summary>For <see cref="AdamW"/>, which is Adam with decoupled weight decay (as in PyTorch 2.x).</summary>
    private protected Adam(IEnumerable<AdamParamGroup> groups, double lr, (double, double)? betas, double eps,
        double weightDecay, bool amsgrad, bool maximize, bool decoupledWeightDecay)
        : base(groups, new AdamParamGroup(Array.Empty<Parameter>(), lr, betas ?? (0.9, 0.999), eps, weightDecay, amsgrad, maximize))
    {
        _decoupledWeightDecay = decoupledWeightDecay;
    }

    /// <summary>Adds a group (<c>add_param_group()</c>); options it leaves unset take this optimizer's defaults.</summary>
    public void AddParamGroup(AdamParamGroup group) => AddParamGroupCore(group);

    private protected override void Update(ParamGroup parameterGroup, Parameter p, Tensor grad, OrderedDictionary<string, Tensor> state)
    {
        var group = (AdamParamGroup)parameterGroup;
        var (beta1, beta2) = group.Betas;
        double lr = group.Lr, weightDecay = group.WeightDecay;

        if (group.Maximize) grad = grad.Neg();

        // Lazy state initialization, as PyTorch's _init_group: only for a parameter with no state at all.
        if (state.Count == 0)
        {
            state["step"] = Tensor.Scalar(0f);
            // torch.zeros_like(p, memory_format=torch.preserve_format): the parameter's dtype (Float32 or Float64).
            state["exp_avg"] = Tensor.Zeros(p.Sizes, p.DType);
            state["exp_avg_sq"] = Tensor.Zeros(p.Sizes, p.DType);
            if (group.Amsgrad) state["max_exp_avg_sq"] = Tensor.Zeros(p.Sizes, p.DType);
        }
        var stepTensor = state["step"];
        var expAvg = state["exp_avg"];
        var expAvgSq = state["exp_avg_sq"];
        Tensor? maxExpAvgSq = null;
        if (group.Amsgrad && !state.TryGetValue("max_exp_avg_sq", out maxExpAvgSq))
            throw new InvalidOperationException($"{Name}: AMSGrad was turned on after this parameter (shape {Rules.Format(p.Sizes)}) was first updated, so it has no 'max_exp_avg_sq' (PyTorch raises KeyError here)");

        // The step count is a Float32 tensor in PyTorch; the bias corrections read it back as a Python float.
        stepTensor.AddInPlace(1f);

        if (p.DType == DType.Float64)
        {
            UpdateFloat64(group, p, grad, expAvg, expAvgSq, maxExpAvgSq, stepTensor.Item());
            return;
        }

        if (maxExpAvgSq is null && (weightDecay == 0 || _decoupledWeightDecay) && IsDense(p, grad, expAvg, expAvgSq))
        {
            // The common case in one pass without temporaries, bitwise the op-by-op path below.
            double t = stepTensor.Item();
            AdamKernel.Update(p.FloatData.AsSpan(p.Offset, p.Count), grad.FloatData.AsSpan(grad.Offset, grad.Count),
                expAvg.FloatData.AsSpan(expAvg.Offset, expAvg.Count), expAvgSq.FloatData.AsSpan(expAvgSq.Offset, expAvgSq.Count),
                new AdamKernel.Step(
                    Decay: weightDecay == 0 ? 1f : (float)(1 - lr * weightDecay),
                    LerpWeight: (float)(1 - beta1), Beta2: (float)beta2, OneMinusBeta2: (float)(1 - beta2),
                    BiasCorrection2Sqrt: (float)Math.Pow(1 - Math.Pow(beta2, t), 0.5), Eps: (float)group.Eps,
                    NegativeStepSize: (float)-(lr / (1 - Math.Pow(beta1, t)))));
            return;
        }

        if (weightDecay != 0)
        {
            if (_decoupledWeightDecay) p.MulInPlace((float)(1 - lr * weightDecay));
            else grad = grad.Add(p, (float)weightDecay);
        }

        LerpKernel.LerpInPlace(expAvg, grad, (float)(1 - beta1));
        expAvgSq.MulInPlace((float)beta2).AddCMulInPlace(grad, grad, (float)(1 - beta2));

        double step = stepTensor.Item();
        double biasCorrection1 = 1 - Math.Pow(beta1, step);
        double biasCorrection2 = 1 - Math.Pow(beta2, step);
        double stepSize = lr / biasCorrection1;
        double biasCorrection2Sqrt = Math.Pow(biasCorrection2, 0.5); // Python's bias_correction2**0.5

        Tensor denom;
        if (maxExpAvgSq is not null)
        {
            // torch.maximum(max_exp_avg_sq, exp_avg_sq, out=max_exp_avg_sq): NaN propagates.
            maxExpAvgSq.CopyFrom(Tensor.Maximum(maxExpAvgSq, expAvgSq));
            denom = maxExpAvgSq.Sqrt().DivInPlace((float)biasCorrection2Sqrt).AddInPlace((float)group.Eps);
        }
        else
        {
            denom = expAvgSq.Sqrt().DivInPlace((float)biasCorrection2Sqrt).AddInPlace((float)group.Eps);
        }
        p.AddCDivInPlace(expAvg, denom, (float)-stepSize);
    }

    // The op-by-op update for Float64 parameters and Float64 moments, with double scalars (nothing is rounded to
    // float: ATen's opmath for double is double). The step count stays Float32, as PyTorch's.
    void UpdateFloat64(AdamParamGroup group, Parameter p, Tensor gradient, Tensor expAvgTensor, Tensor expAvgSqTensor,
        Tensor? maxExpAvgSqTensor, double step)
    {
        var (beta1, beta2) = group.Betas;
        double lr = group.Lr, weightDecay = group.WeightDecay;
        var grad = Float64StepKernel.Elements(Float64StepKernel.ContiguousCopy(gradient));
        var param = p.IsContiguous ? p : Float64StepKernel.ContiguousCopy(p);
        var weights = Float64StepKernel.Elements(param);
        var expAvg = Float64StepKernel.Elements(expAvgTensor);
        var expAvgSq = Float64StepKernel.Elements(expAvgSqTensor);
        // Maximize has already negated the gradient (before the state's initialization, as PyTorch).
        if (weightDecay != 0)
        {
            if (_decoupledWeightDecay) Float64StepKernel.Scale(weights, 1 - lr * weightDecay);
            else Float64StepKernel.AddScaled(grad, weights, weightDecay);
        }

        Float64StepKernel.Lerp(expAvg, grad, 1 - beta1);
        Float64StepKernel.Scale(expAvgSq, beta2);
        Float64StepKernel.AddCMul(expAvgSq, grad, grad, 1 - beta2);

        double biasCorrection1 = 1 - Math.Pow(beta1, step);
        double biasCorrection2 = 1 - Math.Pow(beta2, step);
        double stepSize = lr / biasCorrection1;
        double biasCorrection2Sqrt = Math.Pow(biasCorrection2, 0.5);

        ReadOnlySpan<double> v = expAvgSq;
        if (maxExpAvgSqTensor is not null)
        {
            var max = Float64StepKernel.Elements(maxExpAvgSqTensor);
            Float64StepKernel.Maximum(max, expAvgSq);
            v = max;
        }
        // The gradient copy is no longer needed: it holds the denominator.
        Float64StepKernel.Denominator(v, biasCorrection2Sqrt, group.Eps, grad);
        Float64StepKernel.AddCDiv(weights, expAvg, grad, -stepSize);
        if (!ReferenceEquals(param, p)) p.CopyFrom(param);
    }

    // Float32, contiguous and the same shape: what the one-pass kernel reads.
    private static bool IsDense(Tensor p, Tensor grad, Tensor expAvg, Tensor expAvgSq)
    {
        foreach (var t in (ReadOnlySpan<Tensor>)[p, grad, expAvg, expAvgSq])
        {
            if (t.DType != DType.Float32 || !t.IsContiguous || !t.Sizes.AsSpan().SequenceEqual(p.Sizes))
                return false;
        }
        return true;
    }

    private protected override void ValidateState(ParamGroup group, Parameter parameter, IReadOnlyDictionary<string, Tensor> state, string prefix, List<string> errors)
    {
        bool amsgrad = ((AdamParamGroup)group).Amsgrad;
        var required = amsgrad ? new[] { "exp_avg", "exp_avg_sq", "max_exp_avg_sq" } : new[] { "exp_avg", "exp_avg_sq" };
        var optional = amsgrad ? Array.Empty<string>() : new[] { "max_exp_avg_sq" };
        CheckEntries(parameter, state, prefix, errors, required, optional, scalarKey: "step");
    }
}
