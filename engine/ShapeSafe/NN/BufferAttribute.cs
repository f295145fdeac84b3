namespace ShapeSafe.NN;

/// <summary>
/// Marks a <see cref="Tensor"/> field or auto-property of a <c>[Module]</c> class as a buffer: state that is saved
/// and loaded but not learned, such as running statistics (PyTorch's <c>register_buffer</c>). Plain tensor members
/// without it are not state, as in PyTorch.
/// </summary>
[AttributeUsage(AttributeTargets.Field | AttributeTargets.Property, Inherited = false, AllowMultiple = false)]
public sealed class BufferAttribute : Attribute
{
    /// <summary>
    /// Whether the buffer is part of <see cref="Module.StateDict"/> (the default). A non-persistent buffer is still
    /// listed by <see cref="Module.Buffers"/> and moves with the module, but is neither saved nor loaded.
    /// </summary>
    public bool Persistent { get; set; } = true;
}
