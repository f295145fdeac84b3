using ShapeSafe.NN;

namespace ShapeSafe.Optim;

/// <summary>
/// Adagrad (<c>torch.optim.Adagrad</c>). As in PyTorch, the constructor gives every parameter its state at once:
/// <c>step</c> (a Float32 scalar, 0) and <c>sum</c> (the parameter's shape and dtype, filled with
/// <c>initial_accumulator_value</c>). A step follows PyTorch 2.x's <c>_single_tensor_adagrad</c> operation for
/// operation: <c>step += 1</c>; the gradient negated when maximizing; <c>grad = grad.add(p, alpha=weight_decay)</c>;
/// <c>clr = lr / (1 + (step - 1) * lr_decay)</c> in double; <c>sum.addcmul_(grad, grad, value=1)</c>;
/// <c>std = sum.sqrt().add_(eps)</c>; <c>p.addcdiv_(grad, std, value=-clr)</c>.
/// </summary>
public sealed class Adagrad : Optimizer
{
    /// <summary>Adagrad over one group of <paramref name="parameters"/>, with PyTorch's defaults.</summary>
    /// <exception cref="ArgumentException">An empty parameter list, or an option out of range (PyTorch's messages).</exception>
    public Adagrad(IEnumerable<Parameter> parameters, double lr = 1e-2, double lrDecay = 0, double weightDecay = 0,
        double initialAccumulatorValue = 0, double eps = 1e-10, bool maximize = false)
        : this(new[] { new AdagradParamGroup(NonEmpty(parameters)) }, lr, lrDecay, weightDecay, initialAccumulatorValue, eps, maximize)
    {
    }

    /// <summary>Adagrad over several groups; the arguments are the defaults for options a group leaves unset.</summary>
    /// <param name="groups">The parameter groups.</param>
    /// <param name="lr">Learning rate.</param>
    /// <param name="lrDecay">Learning-rate decay per step.</param>
    /// <param name="weightDecay">L2 penalty.</param>
    /// <param name="initialAccumulatorValue">The starting value of the sum of squared gradients.</param>
    /// <param name="eps">Added to the denominator.</param>
    /// <param name="maximize">Whether to maximize the objective.</param>
    public Adagrad(IEnumerable<AdagradParamGroup> groups, double lr = 1e-2, double lrDecay = 0, double weightDecay = 0,
        double initialAccumulatorValue = 0, double eps = 1e-10, bool maximize = false)
        : base(groups, new AdagradParamGroup(Array.Empty<Parameter>(), lr, lrDecay, weightDecay, initialAccumulatorValue, eps, maximize))
    {
        // PyTorch's Adagrad.__init__ fills the state of the groups it is given (not of groups added later).
        foreach (var group in ParamGroups)
        {
            double initial = ((AdagradParamGroup)group).InitialAccumulatorValue;
            foreach (var p in group.Parameters)
            {
                var state = StateOf(p);
                state["step"] = Tensor.Scalar(0f);
                state["sum"] = Tensor.Full(p.Sizes, p.DType == DType.Float64 ? initial : (float)initial, p.DType);
            }
        }
    }

    /// <summary>
    /// Adds a group (<c>add_param_group()</c>); options it leaves unset take this optimizer's defaults. As in
    /// PyTorch, its parameters get no state, so stepping one of them throws (PyTorch raises <c>KeyError: 'sum'</c>)
    /// unless a state dict that has it is loaded first.
    /// </summary>
    public void AddParamGroup(AdagradParamGroup group) => AddParamGroupCore(group);

    private protected override void Update(ParamGroup parameterGroup, Parameter p, Tensor grad, OrderedDictionary<string, Tensor> state)
    {
        var group = (AdagradParamGroup)parameterGroup;
        if (!state.TryGetValue("sum", out var sum) || !state.TryGetValue("step", out var stepTensor))
            throw new InvalidOperationException($"{Name}: this parameter (shape {Rules.Format(p.Sizes)}) has no 'sum': Adagrad gives state only to the parameters of the groups it was constructed with (PyTorch raises KeyError here)");

        stepTensor.AddInPlace(1f);
        double step = stepTensor.Item();
        if (group.Maximize) grad = grad.Neg();
        double clr = group.Lr / (1 + (step - 1) * group.LrDecay);

        if (p.DType == DType.Float64)
        {
            var g = Float64StepKernel.Elements(Float64StepKernel.ContiguousCopy(grad));
            var param = p.IsContiguous ? p : Float64StepKernel.ContiguousCopy(p);
            var weights = Float64StepKernel.Elements(param);
            var sums = Float64StepKernel.Elements(sum);
            if (group.WeightDecay != 0) Float64StepKernel.AddScaled(g, weights, group.WeightDecay);
            Float64StepKernel.AddCMul(sums, g, g, 1);
            var std = new double[g.Length];
            Float64StepKernel.Denominator(sums, 1, group.Eps, std);
            Float64StepKernel.AddCDiv(weights, g, std, -clr);
            if (!ReferenceEquals(param, p)) p.CopyFrom(param);
            return;
        }

        if (group.WeightDecay != 0) grad = grad.Add(p, (float)group.WeightDecay);
        sum.AddCMulInPlace(grad, grad, 1f);
        var denominator = sum.Sqrt().AddInPlace((float)group.Eps);
        p.AddCDivInPlace(grad, denominator, (float)-clr);
    }

    private protected override void ValidateState(ParamGroup group, Parameter parameter, IReadOnlyDictionary<string, Tensor> state, string prefix, List<string> errors) =>
        CheckEntries(parameter, state, prefix, errors, required: new[] { "sum" }, optional: Array.Empty<string>(), scalarKey: "step");
}
