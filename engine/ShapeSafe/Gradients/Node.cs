namespace ShapeSafe.Gradients;

/// <summary>
/// One recorded op in the graph: it knows its inputs and turns the gradient of its output into
/// gradients of its inputs. The math lives in plain static kernels (see <c>Gradients/</c>) that
/// the compiled graphs call too; a node only binds a kernel to the tensors it saved.
/// </summary>
internal sealed class Node
{
    Func<Tensor, Tensor?[]>? _backward;
    Action? _released;

    public Node(string name, Tensor?[] inputs, Func<Tensor, Tensor?[]> backward)
    {
        Name = name;
        Inputs = inputs;
        _backward = backward;
    }

    /// <summary>PyTorch's grad_fn name without the version suffix, for example <c>"AddBackward"</c>.</summary>
    public string Name { get; }

    /// <summary>The op's inputs in order; null where an input takes no gradient.</summary>
    public Tensor?[] Inputs { get; private set; }

    /// <summary>Gradients for each input (null where none flows), given the output's gradient.</summary>
    public Tensor?[] Apply(Tensor gradOutput)
    {
        var backward = _backward ?? throw new InvalidOperationException(
            $"Backward: trying to backward through the graph a second time (through {Name}); the saved tensors were freed after the first call. Pass retainGraph: true to the first Backward.");
        return backward(gradOutput);
    }

    /// <summary>
    /// Called once when the node is released: hands private saved buffers back to <c>BufferPool</c>. A node that is
    /// never released (no backward, or retainGraph) leaves them to the GC.
    /// </summary>
    public Action? Released { set => _released = value; }

    /// <summary>Drops the saved tensors (PyTorch frees them after backward unless retain_graph).</summary>
    public void Release()
    {
        _backward = null;
        var released = _released;
        _released = null;
        released?.Invoke();
    }
}
