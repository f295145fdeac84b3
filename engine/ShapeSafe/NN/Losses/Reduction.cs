namespace ShapeSafe.NN;

/// <summary>How a loss combines its per-element values (PyTorch's <c>reduction=</c> argument).</summary>
public enum Reduction
{
    /// <summary>No reduction: the per-element (or per-sample) losses, in the input's shape.</summary>
    None,

    /// <summary>The mean over elements (weighted losses divide by the total weight). PyTorch's default.</summary>
    Mean,

    /// <summary>The sum over elements.</summary>
    Sum,
}
