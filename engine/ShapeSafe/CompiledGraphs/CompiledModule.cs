using System.ComponentModel;
using ShapeSafe.CompiledGraphs;

namespace ShapeSafe.NN;

/// <summary>
/// A module's compiled graph, as <c>model.Compile()</c> returns it: its <c>Forward</c> has the module's own
/// signature and runs the forward and backward code the <c>[Module]</c> generator wrote at build time. It trains the
/// module's own parameters (optimizers, <c>StateDict</c> and <c>ZeroGrad</c> see no difference) and records one
/// autograd node per call. Guards, as TorchDynamo's: a plan (every buffer's shape) per input shape, made when the
/// shape is first seen and reused after; <see cref="NN.Module.Training"/> is part of the key; under <c>NoGrad</c> or
/// <c>InferenceMode</c> nothing is saved for a backward. The module's eager <c>Forward</c> runs instead when a
/// guard cannot hold: an input that is not Float32 (Int64 for an embedding's indices), more shapes than <see cref="CompileOptions.CacheSizeLimit"/>,
/// an op trace (ONNX export) listening, or an autocast scope (the graph computes in float32).
/// </summary>
/// <remarks>
/// This is the part of every compiled graph that code holding a plain <see cref="NN.Module"/> can use (the trainer
/// compiles through <see cref="ICompilableModule"/>); the generated class derives from
/// <see cref="CompiledModule{TModule}"/> and also implements <see cref="ITensorModule"/> when the module's
/// <c>Forward</c> takes one tensor.
/// </remarks>
public abstract class CompiledModule
{
    private protected CompiledModule(CompileOptions? options)
    {
        Options = options ?? CompileOptions.Default;
        if (Options.CacheSizeLimit < 0)
            throw new ArgumentOutOfRangeException(nameof(options), Options.CacheSizeLimit, "Compile: CacheSizeLimit must be at least 0");
        if (!Enum.IsDefined(Options.Recompute))
            throw new ArgumentOutOfRangeException(nameof(options), Options.Recompute, "Compile: Recompute must be RecomputeMode.None or RecomputeMode.MinCut");
    }

    /// <summary>The module whose parameters this graph trains.</summary>
    public Module Module => UntypedModule;

    private protected abstract Module UntypedModule { get; }

    /// <summary>The options given to <c>Compile</c>.</summary>
    public CompileOptions Options { get; }

    /// <summary>
    /// Whether the backward recomputes the values the generator found it can recompute (<see cref="CompileOptions.Recompute"/>),
    /// which decides the buffer set's layout.
    /// </summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    protected bool Recomputes => Options.Recompute == RecomputeMode.MinCut;

    /// <summary>Whether the generator compiled the module's <c>Forward</c> (false: it found a graph break, and every call runs eagerly).</summary>
    public abstract bool IsCompiled { get; }

    /// <summary>How many input shapes (and training modes) have a plan.</summary>
    public abstract int PlannedShapes { get; }

    /// <summary>How many calls ran the eager <c>Forward</c> because a guard could not hold.</summary>
    public abstract int EagerCalls { get; }

    /// <summary>
    /// The memory of the buffer set a training step (forward and backward) runs in for inputs of
    /// <paramref name="inputShapes"/> (one shape per <c>Forward</c> argument), in the module's current
    /// <see cref="NN.Module.Training"/> mode: see <see cref="MemoryReport(bool, int[][])"/>.
    /// </summary>
    public CompiledMemoryReport MemoryReport(params int[][] inputShapes) => MemoryReport(Module.Training, inputShapes);

    /// <summary>
    /// The memory of the buffer set a training step (forward and backward) runs in for inputs of
    /// <paramref name="inputShapes"/> (one shape per <c>Forward</c> argument), laid out for this graph's
    /// <see cref="CompileOptions.Recompute"/>, from a plan of its own (the guards' cache is untouched). A module whose
    /// <c>Forward</c> branches on <c>Training</c> has a graph per mode: <paramref name="training"/> picks it, and
    /// <see cref="CompiledMemoryReport.Variant"/> names it; a graph without such branches is the same in both modes.
    /// Gradient mode picks no graph: under <c>NoGrad</c> the same buffer set is rented and given back after the
    /// forward, so the report is of a step with gradients.
    /// </summary>
    /// <exception cref="ArgumentException">Not one shape per <c>Forward</c> argument.</exception>
    /// <exception cref="NotSupportedException">The module runs eagerly (a graph break, or options whose path throws), or its
    /// <c>Forward</c> is split at graph breaks into several graphs: it has no one buffer set.</exception>
    /// <exception cref="ShapeException">The layers refuse the shapes, as the module's first call would.</exception>
    public virtual CompiledMemoryReport MemoryReport(bool training, params int[][] inputShapes)
    {
        ArgumentNullException.ThrowIfNull(inputShapes);
        if (IsCompiled)
            throw new NotSupportedException($"MemoryReport: {Module.GetType().Name}'s Forward is split into graphs at its graph breaks, and the shapes a later graph gets are known only when the eager code before it runs, so there is no one buffer set to report");
        throw new NotSupportedException($"MemoryReport: {Module.GetType().Name} has no compiled graph (its Forward runs eagerly), so it has no buffer set to report");
    }

    /// <summary>Checks that <paramref name="inputShapes"/> has one shape per <c>Forward</c> argument, none null.</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    protected int[][] CheckShapes(int[][] inputShapes, int inputs)
    {
        ArgumentNullException.ThrowIfNull(inputShapes);
        if (inputShapes.Length != inputs || inputShapes.Any(s => s is null))
            throw new ArgumentException($"MemoryReport: {Module.GetType().Name}'s Forward takes {inputs} tensor{(inputs == 1 ? "" : "s")}, so it needs {inputs} shape{(inputs == 1 ? "" : "s")}; got {inputShapes.Length}{(inputShapes.Any(s => s is null) ? " with a null one" : "")}", nameof(inputShapes));
        return inputShapes.Select(s => (int[])s.Clone()).ToArray();
    }
}

/// <summary>The compiled graph of a <typeparamref name="TModule"/>: see <see cref="CompiledModule"/>.</summary>
/// <typeparam name="TModule">The compiled module's type.</typeparam>
public abstract partial class CompiledModule<TModule> : CompiledModule where TModule : Module
{
    readonly List<object> _plans = new();
    readonly List<bool> _planTraining = new();

    int _eagerCalls;

    /// <summary>Binds the generated graph to <paramref name="module"/>.</summary>
    protected CompiledModule(TModule module, CompileOptions? options) : base(options)
    {
        ArgumentNullException.ThrowIfNull(module);
        Module = module;
    }

    /// <summary>The module whose parameters this graph trains.</summary>
    public new TModule Module { get; }

    private protected override Module UntypedModule => Module;

    /// <inheritdoc/>
    public override int PlannedShapes => _plans.Count;

    /// <inheritdoc/>
    public override int EagerCalls => _eagerCalls;

    /// <summary>
    /// The plan for <paramref name="input"/>'s shape in the module's current training mode: a cached one, or one
    /// made by <see cref="CreatePlan"/>; null when the call must run eagerly (and then counted in <see cref="EagerCalls"/>).
    /// </summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    protected TPlan? PlanFor<TPlan>(Tensor input) where TPlan : class => PlanFor<TPlan>(input, DType.Float32);

    /// <summary>
    /// <see cref="PlanFor{TPlan}(Tensor)"/> for a graph whose input has the dtype <paramref name="dtype"/> (Int64 for the
    /// indices of an embedding); an input of another dtype runs eagerly.
    /// </summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    protected TPlan? PlanFor<TPlan>(Tensor input, DType dtype) where TPlan : class
    {
        ArgumentNullException.ThrowIfNull(input);
        return PlanFor<TPlan>(GuardInput(input, dtype));
    }

    /// <summary><see cref="PlanFor{TPlan}(Tensor)"/> for a graph of two inputs.</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    protected TPlan? PlanFor<TPlan>(Tensor first, Tensor second) where TPlan : class => PlanFor<TPlan>(first, DType.Float32, second, DType.Float32);

    /// <summary><see cref="PlanFor{TPlan}(Tensor, Tensor)"/> for inputs of the given dtypes (Int64 for an embedding's indices).</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    protected TPlan? PlanFor<TPlan>(Tensor first, DType firstType, Tensor second, DType secondType) where TPlan : class
    {
        ArgumentNullException.ThrowIfNull(first);
        ArgumentNullException.ThrowIfNull(second);
        return PlanFor<TPlan>(GuardInput(first, firstType), GuardInput(second, secondType));
    }

    TPlan? Add<TPlan>(TPlan plan, bool training) where TPlan : class
    {
        if (_plans.Count >= Options.CacheSizeLimit) return Eager<TPlan>();
        _plans.Add(plan);
        _planTraining.Add(training);
        return plan;
    }

    TPlan? Eager<TPlan>() where TPlan : class
    {
        _eagerCalls++;
        return null;
    }

    /// <summary>The generated graph's plan for <paramref name="inputSizes"/> (called once per new input shape).</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    protected virtual object CreatePlan(int[][] inputSizes) =>
        throw new NotSupportedException($"Compile: {typeof(TModule).Name} has no compiled graph; its Forward runs eagerly");

    /// <summary>
    /// The child module at <paramref name="path"/> (<c>block.conv</c>), which the generated graph calls: bound once,
    /// when the module is compiled, so a child replaced later needs a new <c>Compile()</c>.
    /// </summary>
    /// <exception cref="InvalidOperationException">There is no such child, or it is not a <typeparamref name="T"/>.</exception>
    [EditorBrowsable(EditorBrowsableState.Never)]
    protected T Bind<T>(string path) where T : Module
    {
        foreach (var (name, child) in Module.NamedModules(removeDuplicate: false))
        {
            if (name != path) continue;
            return child as T ?? throw new InvalidOperationException(
                $"Compile: {typeof(TModule).Name}'s child '{path}' is a {child.GetType().Name}, but its Forward was compiled for a {typeof(T).Name}");
        }
        throw new InvalidOperationException($"Compile: {typeof(TModule).Name} has no child '{path}' (its Forward calls it; was it null when Compile() was called?)");
    }

    /// <summary>
    /// Whether a buffer the graph reads (re-read at every call) is still Float32 and of the sizes the plan was made
    /// for; when it is not, the call must run eagerly, and it is counted in <see cref="EagerCalls"/>.
    /// </summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    protected bool Holds(Tensor buffer, int[] plannedSizes)
    {
        ArgumentNullException.ThrowIfNull(buffer);
        if (buffer.DType == DType.Float32 && buffer.Sizes.AsSpan().SequenceEqual(plannedSizes)) return true;
        _eagerCalls++;
        return false;
    }

    /// <summary>A new contiguous Float32 tensor for the graph's output (its contents are written by the graph).</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    protected static Tensor NewOutput(int[] shape) => Tensor.Uninitialized(DType.Float32, shape, "Compile");

    /// <summary>
    /// Makes <paramref name="output"/> the result of one autograd node named <paramref name="name"/> over
    /// <paramref name="inputs"/> (the graph's inputs and parameters, in the order <paramref name="backward"/> returns
    /// their gradients); <paramref name="released"/> runs once the node's saved tensors are no longer needed.
    /// </summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    protected static Tensor Record(Tensor output, string name, Tensor?[] inputs, Func<Tensor, Tensor?[]> backward, Action released)
    {
        output.Recorded(name, inputs, backward);
        output.GradNode!.Released = released;
        return output;
    }
}
