namespace ShapeSafe;

/// <summary>Element types. Floating-point factories give <see cref="Float32"/>; integer factories and indices give <see cref="Int64"/>, as in PyTorch.</summary>
public enum DType
{
    /// <summary>32-bit IEEE float (PyTorch's default dtype).</summary>
    Float32,

    /// <summary>64-bit signed integer (PyTorch's <c>torch.long</c>).</summary>
    Int64,
}
