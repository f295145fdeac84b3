namespace ShapeSafe.NN;

/// <summary>
/// A tensor that is a module's learnable state (<c>nn.Parameter</c>). It is a leaf over the same storage
/// as the tensor it wraps, so writing through one is seen by the other, and it requires grad unless told
/// otherwise. Registering one with <see cref="Module.RegisterParameter"/> makes it show up in
/// <see cref="Module.Parameters"/> and <see cref="Module.StateDict"/>.
/// </summary>
public class Parameter : Tensor
{
    /// <summary>Wraps <paramref name="data"/> (sharing its storage, cut off from any graph it belongs to).</summary>
    /// <param name="data">The initial value; only Float32 tensors can require grad.</param>
    /// <param name="requiresGrad">Whether gradients flow to this parameter (PyTorch's default: true).</param>
    public Parameter(Tensor data, bool requiresGrad = true)
        : base(data ?? throw new ArgumentNullException(nameof(data)))
    {
        RequiresGrad = requiresGrad;
    }

    /// <summary>PyTorch's form: <c>Parameter containing:</c> then the tensor, with <c>requires_grad=True</c> when it does.</summary>
    public override string ToString()
    {
        var text = base.ToString();
        // The tensor printer does not show requires_grad yet; add it the way PyTorch does, inside the closing parenthesis.
        if (RequiresGrad && !text.Contains("requires_grad", StringComparison.Ordinal) && text.EndsWith(')'))
            text = text[..^1] + ", requires_grad=True)";
        return "Parameter containing:\n" + text;
    }
}
