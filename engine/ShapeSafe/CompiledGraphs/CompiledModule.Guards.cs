using System.ComponentModel;
using ShapeSafe.CompiledGraphs;
using ShapeSafe.Tracing;

namespace ShapeSafe.NN;

// The guard of every graph: each input's shape and dtype (and the training mode) are the plan's key. An attention
// mask may be Bool or Float32, so a Bool mask and a float mask each get a plan of their own; the Tensor overloads of
// PlanFor in CompiledModule.cs are this guard for inputs of one fixed dtype each.
public abstract partial class CompiledModule<TModule>
{
    string? _graphBreak;

    /// <summary>
    /// Why the graph runs eagerly although it compiled, or null: a configuration that only the bound module shows and
    /// the graph does not compile (a <see cref="MultiheadAttention"/> with <c>addBiasKv</c> or <c>addZeroAttn</c>),
    /// found when the first plan was made. Every call since has run the eager <c>Forward</c>, counted in <see cref="EagerCalls"/>.
    /// </summary>
    public string? GraphBreak => _graphBreak;

    /// <summary>An input the guard requires to be of <paramref name="dtype"/> (Float32, or Int64 for an embedding's indices).</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    protected static GuardedInput GuardInput(Tensor input, DType dtype = DType.Float32) => new(input, dtype, false);

    /// <summary>An attention mask input: Bool or Float32, its dtype part of the plan's key; one that requires a gradient runs eagerly.</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    protected static GuardedInput GuardMask(Tensor mask) => new(mask, mask?.DType ?? DType.Bool, true);

    /// <summary>
    /// The plan for the shape (and a mask's dtype) of <paramref name="first"/> in the module's current training mode: a
    /// cached one or a new one; null when the call must run eagerly (counted in <see cref="EagerCalls"/>). A step that
    /// finds its plan allocates nothing: the inputs are held on the stack, as they are by the overloads of more inputs.
    /// </summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    protected TPlan? PlanFor<TPlan>(GuardedInput first) where TPlan : class => GuardedPlanFor<TPlan>(new ReadOnlySpan<GuardedInput>(ref first));

    /// <summary><see cref="PlanFor{TPlan}(GuardedInput)"/> for a graph of two inputs.</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    protected TPlan? PlanFor<TPlan>(GuardedInput first, GuardedInput second) where TPlan : class
    {
        var inputs = new GuardedInputs();
        inputs[0] = first;
        inputs[1] = second;
        return GuardedPlanFor<TPlan>(((ReadOnlySpan<GuardedInput>)inputs)[..2]);
    }

    /// <summary><see cref="PlanFor{TPlan}(GuardedInput)"/> for a graph of three inputs.</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    protected TPlan? PlanFor<TPlan>(GuardedInput first, GuardedInput second, GuardedInput third) where TPlan : class
    {
        var inputs = new GuardedInputs();
        inputs[0] = first;
        inputs[1] = second;
        inputs[2] = third;
        return GuardedPlanFor<TPlan>(((ReadOnlySpan<GuardedInput>)inputs)[..3]);
    }

    /// <summary><see cref="PlanFor{TPlan}(GuardedInput)"/> for a graph of four inputs (an input and its masks, say).</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    protected TPlan? PlanFor<TPlan>(GuardedInput first, GuardedInput second, GuardedInput third, GuardedInput fourth) where TPlan : class
    {
        var inputs = new GuardedInputs();
        inputs[0] = first;
        inputs[1] = second;
        inputs[2] = third;
        inputs[3] = fourth;
        return GuardedPlanFor<TPlan>((ReadOnlySpan<GuardedInput>)inputs);
    }

    /// <summary>The guarded inputs of one call, on the stack: a graph takes four at most.</summary>
    [System.Runtime.CompilerServices.InlineArray(4)]
    struct GuardedInputs
    {
        GuardedInput _first;
    }

    /// <summary>
    /// <see cref="PlanFor{TPlan}(GuardedInput)"/> for a graph of any number of inputs (a graph of a split <c>Forward</c>
    /// takes every tensor it reads from the statements before it). The arguments are held on the stack, so a step that
    /// finds its plan allocates nothing.
    /// </summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    protected TPlan? PlanFor<TPlan>(params ReadOnlySpan<GuardedInput> inputs) where TPlan : class => GuardedPlanFor<TPlan>(inputs);

    TPlan? GuardedPlanFor<TPlan>(ReadOnlySpan<GuardedInput> inputs) where TPlan : class
    {
        for (int i = 0; i < inputs.Length; i++)
        {
            var tensor = inputs[i].Tensor ?? throw new ArgumentNullException(nameof(inputs), $"Compile: {typeof(TModule).Name}.Forward's input {i} is null");
            // The graph computes in Float32 and gives a mask no gradient: a Float64 mask, or one that takes a gradient, runs eagerly.
            bool fits = inputs[i].Mask ? tensor.DType is DType.Bool or DType.Float32 && !tensor.RequiresGrad : tensor.DType == inputs[i].DType;
            if (!fits) return Eager<TPlan>();
        }
        if (_graphBreak is not null || OpTrace.Active || Autograd.IsAutocastEnabled) return Eager<TPlan>();
        bool training = Module.Training;
        for (int i = 0; i < _plans.Count; i++)
        {
            if (_planTraining[i] != training) continue;
            var plan = (GraphPlanBase)_plans[i];
            if (Matches(plan, inputs)) return (TPlan)_plans[i];
        }
        var sizes = new int[inputs.Length][];
        var types = new DType[inputs.Length];
        for (int i = 0; i < inputs.Length; i++)
        {
            sizes[i] = (int[])inputs[i].Tensor.Sizes.Clone();
            types[i] = inputs[i].Tensor.DType;
        }
        object created;
        try
        {
            created = CreatePlan(sizes);
        }
        catch (CompiledGraphBreakException e)
        {
            _graphBreak = e.Message;
            return Eager<TPlan>();
        }
        ((GraphPlanBase)created).InputTypes = types;
        return Add((TPlan)created, training);
    }

    static bool Matches(GraphPlanBase plan, ReadOnlySpan<GuardedInput> inputs)
    {
        if (plan.InputTypes is not { } planned || planned.Length != inputs.Length) return false;
        for (int i = 0; i < inputs.Length; i++)
            if (planned[i] != inputs[i].Tensor.DType || !plan.InputSizes[i].AsSpan().SequenceEqual(inputs[i].Tensor.Sizes)) return false;
        return true;
    }
}

/// <summary>One input of a compiled graph's guard (<c>GuardInput</c>, <c>GuardMask</c>): the tensor and the dtype it must have.</summary>
/// <param name="Tensor">The argument.</param>
/// <param name="DType">The dtype it must have (for a mask, its own: Bool or Float32).</param>
/// <param name="Mask">Whether it is an attention mask, which may be Bool or Float32.</param>
[EditorBrowsable(EditorBrowsableState.Never)]
public readonly record struct GuardedInput(Tensor Tensor, DType DType, bool Mask);
