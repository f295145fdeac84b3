using ShapeSafe.NN;

namespace ShapeSafe.Optim;

/// <summary>
/// Stochastic gradient descent, optionally with momentum (<c>torch.optim.SGD</c>). Per parameter, with gradient
/// g (negated when maximizing): <c>g += weight_decay * p</c>; with momentum, the buffer is g itself on the first
/// step (no dampening) and <c>buf = momentum * buf + (1 - dampening) * g</c> after, and g becomes
/// <c>g + momentum * buf</c> (Nesterov) or <c>buf</c>; then <c>p -= lr * g</c>. This is PyTorch's
/// <c>_single_tensor_sgd</c>, operation for operation in Float32, with the scalars rounded to Float32 as ATen does.
/// </summary>
public sealed class Sgd : Optimizer
{
    /// <summary>SGD over one group of <paramref name="parameters"/>; the learning rate defaults to PyTorch 2's 1e-3.</summary>
    /// <exception cref="ArgumentException">
    /// An empty parameter list, <paramref name="lr"/>, <paramref name="momentum"/> or <paramref name="weightDecay"/>
    /// negative, or Nesterov without a positive momentum and zero dampening (PyTorch's messages).
    /// </exception>
    public Sgd(IEnumerable<Parameter> parameters, double lr = 1e-3, double momentum = 0, double weightDecay = 0,
        bool nesterov = false, double dampening = 0, bool maximize = false)
        : this(new[] { new SgdParamGroup(NonEmpty(parameters)) }, lr, momentum, weightDecay, nesterov, dampening, maximize)
    {
    }

    /// <summary>SGD over several groups; the arguments are the defaults for options a group leaves unset.</summary>
    public Sgd(IEnumerable<SgdParamGroup> groups, double lr = 1e-3, double momentum = 0, double weightDecay = 0,
        bool nesterov = false, double dampening = 0, bool maximize = false)
        : base(groups, new SgdParamGroup(Array.Empty<Parameter>(), lr, momentum, dampening, weightDecay, nesterov, maximize))
    {
    }

    /// <summary>Adds a group (<c>add_param_group()</c>); options it leaves unset take this optimizer's defaults.</summary>
    public void AddParamGroup(SgdParamGroup group) => AddParamGroupCore(group);

    private protected override void Update(ParamGroup parameterGroup, Parameter p, Tensor grad, OrderedDictionary<string, Tensor> state)
    {
        var group = (SgdParamGroup)parameterGroup;
        if (p.DType == DType.Float64)
        {
            UpdateFloat64(group, p, grad, state);
            return;
        }
        if (group.Maximize) grad = grad.Neg();
        if (group.WeightDecay != 0) grad = grad.Add(p, (float)group.WeightDecay);

        double momentum = group.Momentum;
        if (momentum != 0)
        {
            if (!state.TryGetValue("momentum_buffer", out var buffer))
            {
                buffer = grad.Clone();
                state["momentum_buffer"] = buffer;
            }
            else
            {
                buffer.MulInPlace((float)momentum).AddInPlace(grad, (float)(1 - group.Dampening));
            }
            grad = group.Nesterov ? grad.Add(buffer, (float)momentum) : buffer;
        }
        p.AddInPlace(grad, (float)-group.Lr);
    }

    // The same steps on Float64 parameters, with double scalars (ATen rounds a scalar to the tensor's dtype, so for
    // double nothing is rounded) and a Float64 momentum buffer.
    static void UpdateFloat64(SgdParamGroup group, Parameter p, Tensor gradient, OrderedDictionary<string, Tensor> state)
    {
        var gradCopy = Float64StepKernel.ContiguousCopy(gradient);
        var grad = Float64StepKernel.Elements(gradCopy);
        var param = p.IsContiguous ? p : Float64StepKernel.ContiguousCopy(p);
        var weights = Float64StepKernel.Elements(param);
        if (group.Maximize) Float64StepKernel.Negate(grad);
        if (group.WeightDecay != 0) Float64StepKernel.AddScaled(grad, weights, group.WeightDecay);

        double momentum = group.Momentum;
        var step = grad;
        if (momentum != 0)
        {
            if (!state.TryGetValue("momentum_buffer", out var buffer))
            {
                buffer = Float64StepKernel.ContiguousCopy(gradCopy);
                state["momentum_buffer"] = buffer;
            }
            else
            {
                var b = Float64StepKernel.Elements(buffer);
                Float64StepKernel.Scale(b, momentum);
                Float64StepKernel.AddScaled(b, grad, 1 - group.Dampening);
            }
            if (group.Nesterov) Float64StepKernel.AddScaled(grad, Float64StepKernel.Elements(buffer), momentum);
            else step = Float64StepKernel.Elements(buffer);
        }
        Float64StepKernel.AddScaled(weights, step, -group.Lr);
        if (!ReferenceEquals(param, p)) p.CopyFrom(param);
    }

    private protected override void ValidateState(ParamGroup group, Parameter parameter, IReadOnlyDictionary<string, Tensor> state, string prefix, List<string> errors) =>
        CheckEntries(parameter, state, prefix, errors, required: Array.Empty<string>(), optional: new[] { "momentum_buffer" });
}
