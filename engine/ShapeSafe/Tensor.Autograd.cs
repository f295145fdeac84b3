using ShapeSafe.Gradients;
using ShapeSafe.Kernels.Memory;
using ShapeSafe.Shapes;

namespace ShapeSafe;

// Eager autograd (seed section 7): ops record a Node when gradients are enabled and an input
// requires grad; Backward walks the nodes in reverse.
public partial class Tensor
{
    bool _requiresGrad;

    /// <summary>The recorded op that produced this tensor (null for leaves and untracked tensors).</summary>
    internal Node? GradNode { get; private set; }

    /// <summary>
    /// Whether gradients flow to this tensor: set on leaves (a tensor a user created), true for every result
    /// computed from such a tensor while gradients are enabled.
    /// </summary>
    public bool RequiresGrad
    {
        get => _requiresGrad || GradNode is not null;
        set
        {
            if (GradNode is not null && !value)
                throw new InvalidOperationException($"you can only change RequiresGrad of leaf tensors; this one was computed by {GradNode.Name}. Use Detach() to get a tensor cut off from the graph.");
            if (value && !IsFloating(DType))
                throw new InvalidOperationException($"only tensors of floating point dtype (Float32, Float64, BFloat16) can require gradients, got {DType} (shape {Rules.Format(Sizes)})");
            _requiresGrad = value;
        }
    }

    Tensor? _grad;

    /// <summary>The accumulated gradient of a leaf after <see cref="Backward()"/> (null before).</summary>
    public Tensor? Grad
    {
        get
        {
            // Once read, the gradient may be held anywhere, so it is never pooled.
            if (_grad is { Storage.Owner: StorageOwner.LeafGrad } grad) grad.Storage.Owner = StorageOwner.Shared;
            return _grad;
        }
        set
        {
            // A gradient that nobody ever read (it moved here from the backward pass) can be reused.
            var old = _grad;
            _grad = value;
            if (old is not null && !ReferenceEquals(old, value)) old.Storage.RecycleIfOwnedBy(StorageOwner.LeafGrad);
        }
    }

    /// <summary>
    /// <see cref="Grad"/> for engine code that reads it without keeping it (optimizer steps, zeroing):
    /// unlike the public getter, it leaves a pooled gradient poolable.
    /// </summary>
    internal Tensor? GradUnexposed => _grad;

    /// <summary>True for tensors not computed by a recorded op (users' tensors, parameters, detached results).</summary>
    public bool IsLeaf => GradNode is null;

    /// <summary>
    /// Whether a view op (View, Transpose, Slice, ...) made this tensor, whether or not it was recorded (PyTorch's
    /// <c>_is_view()</c>); Detach, Clone and copies are not views. Autocast's cast cache skips views.
    /// </summary>
    internal bool IsView { get; private set; }

    /// <summary>The name of the op that produced this tensor, for example <c>"MulBackward"</c>; null for leaves.</summary>
    public string? GradFn => GradNode?.Name;

    /// <summary>Fills <see cref="Grad"/> of every leaf this scalar depends on with d(this)/d(leaf), adding to what is there.</summary>
    public void Backward() => Backward(null);

    /// <summary>Backpropagates <paramref name="gradient"/> (required unless this tensor has one element).</summary>
    public void Backward(Tensor? gradient, bool retainGraph = false)
    {
        var seeds = BackwardEngine.Seeds(new[] { this }, gradient is null ? null : new[] { gradient }, "Backward");
        BackwardEngine.Run(seeds, null, retainGraph);
    }

    List<Action<Tensor>>? _postAccumulateGradHooks;

    /// <summary>
    /// Registers <paramref name="hook"/> to run with this leaf after a backward pass has accumulated all of its
    /// gradient of that pass into <see cref="Grad"/> (PyTorch's <c>register_post_accumulate_grad_hook</c>). Hooks run
    /// on the thread doing the backward, in registration order, while the rest of the graph may still be pending;
    /// <see cref="Autograd.Grad"/> accumulates nothing and runs none. Dispose the result to remove the hook.
    /// </summary>
    /// <exception cref="InvalidOperationException">The tensor is not a leaf that requires grad.</exception>
    public IDisposable RegisterPostAccumulateGradHook(Action<Tensor> hook)
    {
        ArgumentNullException.ThrowIfNull(hook);
        if (GradNode is not null || !_requiresGrad)
            throw new InvalidOperationException($"RegisterPostAccumulateGradHook: only leaf tensors that require grad accumulate gradients (this one is {(GradNode is null ? "a leaf that does not require grad" : $"computed by {GradNode.Name}")})");
        var hooks = _postAccumulateGradHooks ??= new List<Action<Tensor>>();
        hooks.Add(hook);
        return new HookRegistration(hooks, hook);
    }

    internal bool HasPostAccumulateGradHooks => _postAccumulateGradHooks is { Count: > 0 };

    internal void RunPostAccumulateGradHooks()
    {
        // A copy: a hook may remove itself or others.
        foreach (var hook in _postAccumulateGradHooks!.ToArray()) hook(this);
    }

    sealed class HookRegistration(List<Action<Tensor>> hooks, Action<Tensor> hook) : IDisposable
    {
        public void Dispose() => hooks.Remove(hook);
    }

    internal void AccumulateGrad(Tensor grad)
    {
        if (!grad.Sizes.AsSpan().SequenceEqual(Sizes))
            throw new ShapeException("AccumulateGrad", $"gradient of shape {Rules.Format(grad.Sizes)} for a tensor of shape {Rules.Format(Sizes)}");
        if (_grad is null)
        {
            // A gradient private to the backward pass moves in as it is (PyTorch steals a gradient nobody else holds).
            if (grad.Storage.Owner == StorageOwner.Backward && grad.IsWholeStorage)
            {
                grad.Storage.Owner = StorageOwner.LeafGrad;
                _grad = grad;
                return;
            }
            _grad = grad.Contiguous().CloneIfShared(grad);
            return;
        }
        var old = _grad;
        _grad = GradientKernels.Add(old, grad);
        old.Storage.RecycleIfOwnedBy(StorageOwner.LeafGrad);
        grad.Storage.RecycleIfOwnedBy(StorageOwner.Backward);
    }

    /// <summary>Contiguous from offset 0 over exactly its storage: the tensor is the storage's only view.</summary>
    internal bool IsWholeStorage => Offset == 0 && Storage.Length == Count && IsContiguous;

    Tensor CloneIfShared(Tensor original) => ReferenceEquals(this, original) ? Clone() : this;

    /// <summary>Whether an op with these inputs must record a node.</summary>
    internal static bool MustRecord(Tensor a) => a.RequiresGrad && Autograd.IsGradEnabled;

    internal static bool MustRecord(Tensor a, Tensor b) => (a.RequiresGrad || b.RequiresGrad) && Autograd.IsGradEnabled;

    /// <summary>Attaches a node to a fresh result.</summary>
    internal Tensor Recorded(string name, Tensor?[] inputs, Func<Tensor, Tensor?[]> backward)
    {
        GradNode = new Node(name, inputs, backward);
        return this;
    }

    /// <summary>
    /// Records a view: <paramref name="op"/> is the view op, applied here to a contiguous tensor of this
    /// tensor's shape, so the backward scatters the gradient through it.
    /// </summary>
    internal Tensor RecordView(Tensor view, string name, Func<Layout<int>, Layout<int>> op)
    {
        if (!MustRecord(this))
        {
            view.IsView = true;
            return view;
        }
        var sizes = Sizes;
        var relative = op(Rules.Contiguous(sizes));
        var result = new Tensor(view.Storage, view.Sizes, view.StrideArray, view.Offset) { IsView = true };
        return result.Recorded(name, new Tensor?[] { this }, g => new Tensor?[] { GradientKernels.ScatterAdd(g, sizes, relative) });
    }

    /// <summary>Refuses in-place writes that would corrupt the graph, as PyTorch does.</summary>
    internal void CheckInPlace(string op)
    {
        if (!Autograd.IsGradEnabled) return;
        if (_requiresGrad && GradNode is null)
            throw new InvalidOperationException($"{op}: a leaf tensor that requires grad (shape {Rules.Format(Sizes)}) is being used in an in-place operation; wrap it in Autograd.NoGrad()");
    }
}
