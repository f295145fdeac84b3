namespace ShapeSafe;

/// <summary>
/// Element types. Floating-point factories give <see cref="Float32"/>; integer factories and indices give <see cref="Int64"/>,
/// comparisons give <see cref="Bool"/>, as in PyTorch. Binary ops promote as PyTorch's <c>torch.result_type</c>
/// (see <see cref="Tensor.ResultType(Tensor, Tensor)"/> and docs/tensors.md).
/// </summary>
public enum DType
{
    /// <summary>32-bit IEEE float (PyTorch's default dtype).</summary>
    Float32,

    /// <summary>64-bit signed integer (PyTorch's <c>torch.long</c>).</summary>
    Int64,

    /// <summary>Booleans, one byte each (PyTorch's <c>torch.bool</c>); what comparisons and logical ops return.</summary>
    Bool,

    /// <summary>64-bit IEEE float (PyTorch's <c>torch.float64</c> / <c>torch.double</c>).</summary>
    Float64,

    /// <summary>
    /// Brain float: float32's sign and 8-bit exponent with a 7-bit mantissa, stored in 16 bits (PyTorch's
    /// <c>torch.bfloat16</c>). Converted from float32 with round-to-nearest-even; arithmetic runs in float32 and rounds.
    /// </summary>
    BFloat16,
}
