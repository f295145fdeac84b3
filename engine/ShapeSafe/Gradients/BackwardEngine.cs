using ShapeSafe.Gradients;
using ShapeSafe.Kernels.Memory;

namespace ShapeSafe;

/// <summary>
/// Runs the recorded graph backward: nodes are visited in reverse topological order, each gets the sum
/// of the gradients flowing into it, and leaves that require grad accumulate into <see cref="Tensor.Grad"/>.
/// </summary>
internal static class BackwardEngine
{
    /// <summary>Pairs each output with its initial gradient (ones for a scalar output; required otherwise).</summary>
    public static List<(Tensor Output, Tensor Grad)> Seeds(IReadOnlyList<Tensor> outputs, IReadOnlyList<Tensor>? grads, string op)
    {
        var seeds = new List<(Tensor, Tensor)>();
        for (int i = 0; i < outputs.Count; i++)
        {
            var output = outputs[i];
            if (!output.RequiresGrad)
                throw new InvalidOperationException($"{op}: element {i} of tensors (shape {Rules.Format(output.Sizes)}) does not require grad and does not have a grad_fn");
            Tensor? grad = grads is not null && i < grads.Count ? grads[i] : null;
            if (grad is null)
            {
                if (output.NumEl != 1)
                    throw new InvalidOperationException($"{op}: grad can be implicitly created only for scalar outputs, but the output has shape {Rules.Format(output.Sizes)}; pass a gradient of that shape");
                grad = Tensor.OnesLike(output.Detach());
            }
            else if (!grad.Sizes.AsSpan().SequenceEqual(output.Sizes))
            {
                throw new ShapeException(op, $"gradient of shape {Rules.Format(grad.Sizes)} does not match the output's shape {Rules.Format(output.Sizes)}");
            }
            // A seed is the caller's tensor: never the engine's to overwrite or pool.
            if (grad.Storage.Owner != StorageOwner.Shared) grad.Storage.Owner = StorageOwner.Shared;
            seeds.Add((output, grad.Detach()));
        }
        return seeds;
    }

    /// <summary>
    /// Propagates the seeds. With <paramref name="capture"/> null, leaves accumulate into Grad; otherwise the
    /// gradients reaching the captured tensors are returned instead and no Grad changes.
    /// </summary>
    public static Tensor?[]? Run(List<(Tensor Output, Tensor Grad)> seeds, IReadOnlyList<Tensor>? capture, bool retainGraph)
    {
        using var _ = Autograd.NoGrad();
        // Gradients follow the dtypes of the forward pass; a backward run inside an autocast scope must not recast them.
        using var noAutocast = Autograd.AutocastDisabled();
        var captured = capture is null ? null : new Tensor?[capture.Count];

        // Count how many edges enter each node, so a node runs only after all its gradient has arrived.
        var dependencies = new Dictionary<Node, int>(ReferenceEqualityComparer.Instance);
        var stack = new Stack<Node>();
        // Leaves with post-accumulate-grad hooks: how many edges still have to deliver to each, so the hooks run
        // once, after the leaf's last gradient of this pass (PyTorch runs them after its AccumulateGrad node).
        Dictionary<Tensor, int>? hookedLeaves = null;
        void CountLeafEdge(Tensor leaf)
        {
            if (capture is not null || leaf.GradNode is not null || !leaf.RequiresGrad || !leaf.HasPostAccumulateGradHooks) return;
            hookedLeaves ??= new Dictionary<Tensor, int>(ReferenceEqualityComparer.Instance);
            hookedLeaves[leaf] = hookedLeaves.TryGetValue(leaf, out int edges) ? edges + 1 : 1;
        }
        foreach (var (output, _) in seeds)
        {
            CountLeafEdge(output);
            if (output.GradNode is { } root && !dependencies.ContainsKey(root))
            {
                dependencies[root] = 0;
                stack.Push(root);
            }
        }
        while (stack.Count > 0)
        {
            var node = stack.Pop();
            foreach (var input in node.Inputs)
            {
                if (input is not null) CountLeafEdge(input);
                if (input?.GradNode is not { } next) continue;
                if (dependencies.TryGetValue(next, out int count))
                {
                    dependencies[next] = count + 1;
                }
                else
                {
                    dependencies[next] = 1;
                    stack.Push(next);
                }
            }
        }

        HashSet<Tensor>? accumulated = null;
        void LeafEdgeDone(Tensor leaf, bool delivered)
        {
            if (hookedLeaves is null || !hookedLeaves.TryGetValue(leaf, out int edges)) return;
            if (delivered) (accumulated ??= new HashSet<Tensor>(ReferenceEqualityComparer.Instance)).Add(leaf);
            if (edges > 1)
            {
                hookedLeaves[leaf] = edges - 1;
                return;
            }
            hookedLeaves.Remove(leaf);
            if (accumulated is not null && accumulated.Remove(leaf)) leaf.RunPostAccumulateGradHooks();
        }

        var pending = new Dictionary<Node, Tensor>(ReferenceEqualityComparer.Instance);
        foreach (var (output, grad) in seeds)
        {
            Deliver(output, grad, pending, capture, captured);
            LeafEdgeDone(output, true);
        }

        var ready = new Stack<Node>();
        foreach (var (node, count) in dependencies)
            if (count == 0) ready.Push(node);
        while (ready.Count > 0)
        {
            var node = ready.Pop();
            if (!pending.Remove(node, out var grad)) grad = null;
            Tensor?[] inputGrads = grad is null ? new Tensor?[node.Inputs.Length] : node.Apply(grad);
            bool gradLivesOn = grad is not null && ClaimResults(inputGrads, grad);
            for (int i = 0; i < node.Inputs.Length; i++)
            {
                var input = node.Inputs[i];
                if (input is null) continue;
                if (inputGrads[i] is { } g) Deliver(input, g, pending, capture, captured);
                LeafEdgeDone(input, inputGrads[i] is not null);
                if (input.GradNode is { } next && --dependencies[next] == 0) ready.Push(next);
            }
            // The node's gradient is dead unless a result is (a view of) it.
            if (grad is not null && !gradLivesOn) grad.Storage.RecycleIfOwnedBy(StorageOwner.Backward);
            if (!retainGraph) node.Release();
        }
        return captured;
    }

    /// <summary>
    /// Keeps the ownership invariant for a node's results: a gradient private to the backward pass
    /// (<see cref="StorageOwner.Backward"/>) is delivered to exactly one place, so a storage returned in two
    /// slots becomes shared. Returns whether a result shares storage with the node's incoming gradient.
    /// </summary>
    static bool ClaimResults(Tensor?[] results, Tensor incoming)
    {
        bool livesOn = false;
        for (int i = 0; i < results.Length; i++)
        {
            if (results[i] is not { } r) continue;
            if (ReferenceEquals(r.Storage, incoming.Storage)) livesOn = true;
            if (r.Storage.Owner != StorageOwner.Backward) continue;
            for (int j = i + 1; j < results.Length; j++)
                if (results[j] is { } other && ReferenceEquals(other.Storage, r.Storage))
                    r.Storage.Owner = StorageOwner.Shared;
        }
        return livesOn;
    }

    static void Deliver(Tensor target, Tensor grad, Dictionary<Node, Tensor> pending, IReadOnlyList<Tensor>? capture, Tensor?[]? captured)
    {
        // A gradient has its input's dtype (PyTorch casts in validate_outputs): a float32 result of a float64 input
        // under mixed dtypes sends float64 back.
        if (grad.DType != target.DType && Tensor.IsFloating(target.DType)) grad = grad.As(target.DType);
        if (capture is not null)
        {
            for (int i = 0; i < capture.Count; i++)
                if (ReferenceEquals(capture[i], target))
                {
                    // Handed to the caller: no longer the engine's to reuse.
                    if (grad.Storage.Owner == StorageOwner.Backward) grad.Storage.Owner = StorageOwner.Shared;
                    captured![i] = captured[i] is null ? grad : GradientKernels.Add(captured[i]!, grad);
                }
        }
        if (target.GradNode is { } node)
        {
            pending[node] = pending.TryGetValue(node, out var sum) ? GradientKernels.AddPrivate(sum, grad) : grad;
        }
        else if (capture is null && target.RequiresGrad)
        {
            target.AccumulateGrad(grad);
        }
    }
}
