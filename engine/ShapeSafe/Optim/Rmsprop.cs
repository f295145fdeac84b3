using ShapeSafe.NN;

namespace ShapeSafe.Optim;

/// <summary>
/// RMSprop (<c>torch.optim.RMSprop</c>), optionally centered and with momentum. Follows PyTorch 2.x's
/// <c>_single_tensor_rmsprop</c> operation for operation: the gradient negated when maximizing; <c>step += 1</c>;
/// <c>grad = grad.add(p, alpha=weight_decay)</c>; <c>square_avg.mul_(alpha).addcmul_(grad, grad, value=1 - alpha)</c>;
/// centered: <c>grad_avg.lerp_(grad, 1 - alpha)</c> and <c>avg = square_avg.addcmul(grad_avg, grad_avg, value=-1).sqrt_()</c>,
/// otherwise <c>avg = square_avg.sqrt()</c>; <c>avg.add_(eps)</c>; with momentum
/// <c>buf.mul_(momentum).addcdiv_(grad, avg)</c> and <c>p.add_(buf, alpha=-lr)</c>, otherwise
/// <c>p.addcdiv_(grad, avg, value=-lr)</c>. The scalars are rounded to the parameter's dtype as ATen rounds them.
/// </summary>
public sealed class Rmsprop : Optimizer
{
    /// <summary>RMSprop over one group of <paramref name="parameters"/>, with PyTorch's defaults.</summary>
    /// <exception cref="ArgumentException">An empty parameter list, or an option out of range (PyTorch's messages).</exception>
    public Rmsprop(IEnumerable<Parameter> parameters, double lr = 1e-2, double alpha = 0.99, double eps = 1e-8,
        double weightDecay = 0, double momentum = 0, bool centered = false, bool maximize = false)
        : this(new[] { new RmspropParamGroup(NonEmpty(parameters)) }, lr, alpha, eps, weightDecay, momentum, centered, maximize)
    {
    }

    /// <summary>RMSprop over several groups; the arguments are the defaults for options a group leaves unset.</summary>
    /// <param name="groups">The parameter groups.</param>
    /// <param name="lr">Learning rate.</param>
    /// <param name="alpha">Smoothing constant of the squared-gradient average.</param>
    /// <param name="eps">Added to the denominator.</param>
    /// <param name="weightDecay">L2 penalty.</param>
    /// <param name="momentum">Momentum factor; 0 turns momentum off.</param>
    /// <param name="centered">Whether to normalize by the estimated variance of the gradient.</param>
    /// <param name="maximize">Whether to maximize the objective.</param>
    public Rmsprop(IEnumerable<RmspropParamGroup> groups, double lr = 1e-2, double alpha = 0.99, double eps = 1e-8,
        double weightDecay = 0, double momentum = 0, bool centered = false, bool maximize = false)
        : base(groups, new RmspropParamGroup(Array.Empty<Parameter>(), lr, alpha, eps, weightDecay, momentum, centered, maximize))
    {
    }

    /// <summary>Adds a group (<c>add_param_group()</c>); options it leaves unset take this optimizer's defaults.</summary>
    public void AddParamGroup(RmspropParamGroup group) => AddParamGroupCore(group);

    private protected override void Update(ParamGroup parameterGroup, Parameter p, Tensor grad, OrderedDictionary<string, Tensor> state)
    {
        var group = (RmspropParamGroup)parameterGroup;
        // Lazy state initialization, as PyTorch's _init_group: only for a parameter with no state at all.
        if (state.Count == 0)
        {
            state["step"] = Tensor.Scalar(0f);
            state["square_avg"] = Tensor.Zeros(p.Sizes, p.DType);
            if (group.Momentum > 0) state["momentum_buffer"] = Tensor.Zeros(p.Sizes, p.DType);
            if (group.Centered) state["grad_avg"] = Tensor.Zeros(p.Sizes, p.DType);
        }
        var squareAvg = state["square_avg"];
        Tensor? buffer = null, gradAvg = null;
        if (group.Momentum > 0 && !state.TryGetValue("momentum_buffer", out buffer))
            throw MissingState(p, "momentum", "momentum_buffer");
        if (group.Centered && !state.TryGetValue("grad_avg", out gradAvg))
            throw MissingState(p, "centered", "grad_avg");

        if (group.Maximize) grad = grad.Neg();
        state["step"].AddInPlace(1f);

        if (p.DType == DType.Float64)
        {
            UpdateFloat64(group, p, grad, squareAvg, buffer, gradAvg);
            return;
        }

        double alpha = group.Alpha;
        if (group.WeightDecay != 0) grad = grad.Add(p, (float)group.WeightDecay);
        squareAvg.MulInPlace((float)alpha).AddCMulInPlace(grad, grad, (float)(1 - alpha));

        Tensor avg;
        if (gradAvg is not null)
        {
            LerpKernel.LerpInPlace(gradAvg, grad, (float)(1 - alpha));
            avg = squareAvg.Clone().AddCMulInPlace(gradAvg, gradAvg, -1f).Sqrt();
        }
        else
        {
            avg = squareAvg.Sqrt();
        }
        avg.AddInPlace((float)group.Eps);

        if (buffer is not null)
        {
            buffer.MulInPlace((float)group.Momentum).AddCDivInPlace(grad, avg);
            p.AddInPlace(buffer, (float)-group.Lr);
        }
        else
        {
            p.AddCDivInPlace(grad, avg, (float)-group.Lr);
        }
    }

    // The same steps on Float64 parameters and state, with double scalars (ATen's opmath for double is double).
    static void UpdateFloat64(RmspropParamGroup group, Parameter p, Tensor gradient, Tensor squareAvgTensor, Tensor? bufferTensor, Tensor? gradAvgTensor)
    {
        double alpha = group.Alpha;
        // The gradient copy (already negated when maximizing) is this step's own; it may be changed.
        var grad = Float64StepKernel.Elements(Float64StepKernel.ContiguousCopy(gradient));
        var param = p.IsContiguous ? p : Float64StepKernel.ContiguousCopy(p);
        var weights = Float64StepKernel.Elements(param);
        var squareAvg = Float64StepKernel.Elements(squareAvgTensor);
        if (group.WeightDecay != 0) Float64StepKernel.AddScaled(grad, weights, group.WeightDecay);
        Float64StepKernel.Scale(squareAvg, alpha);
        Float64StepKernel.AddCMul(squareAvg, grad, grad, 1 - alpha);

        var avg = new double[grad.Length];
        if (gradAvgTensor is not null)
        {
            var gradAvg = Float64StepKernel.Elements(gradAvgTensor);
            Float64StepKernel.Lerp(gradAvg, grad, 1 - alpha);
            squareAvg.CopyTo(avg);
            Float64StepKernel.AddCMul(avg, gradAvg, gradAvg, -1);
            Float64StepKernel.Denominator(avg, 1, group.Eps, avg);
        }
        else
        {
            Float64StepKernel.Denominator(squareAvg, 1, group.Eps, avg);
        }

        if (bufferTensor is not null)
        {
            var buffer = Float64StepKernel.Elements(bufferTensor);
            Float64StepKernel.Scale(buffer, group.Momentum);
            Float64StepKernel.AddCDiv(buffer, grad, avg, 1);
            Float64StepKernel.AddScaled(weights, buffer, -group.Lr);
        }
        else
        {
            Float64StepKernel.AddCDiv(weights, grad, avg, -group.Lr);
        }
        if (!ReferenceEquals(param, p)) p.CopyFrom(param);
    }

    InvalidOperationException MissingState(Parameter p, string option, string key) =>
        new($"{Name}: {option} was turned on after this parameter (shape {Rules.Format(p.Sizes)}) was first updated, so it has no '{key}' (PyTorch raises KeyError here)");

    private protected override void ValidateState(ParamGroup group, Parameter parameter, IReadOnlyDictionary<string, Tensor> state, string prefix, List<string> errors)
    {
        var g = (RmspropParamGroup)group;
        var required = new List<string> { "square_avg" };
        var optional = new List<string>();
        (g.Momentum > 0 ? required : optional).Add("momentum_buffer");
        (g.Centered ? required : optional).Add("grad_avg");
        CheckEntries(parameter, state, prefix, errors, required, optional, scalarKey: "step");
    }
}
