namespace ShapeSafe.NN;

/// <summary>
/// Marks a <c>partial</c> class deriving from <see cref="Module"/> for the ShapeSafe source generator, which writes
/// its registration (no reflection): <see cref="Module"/>-typed fields and auto-properties are children,
/// <see cref="Parameter"/> members are parameters, <see cref="Tensor"/> members marked <see cref="BufferAttribute"/>
/// are buffers, and arrays and read-only lists of modules are indexed children named as a
/// <see cref="ModuleList"/> names them (<c>heads.0.weight</c>). Members register in declaration order under their
/// own name with one leading <c>_</c> dropped, or the name a <see cref="StateNameAttribute"/> gives.
/// </summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false, AllowMultiple = false)]
public sealed class ModuleAttribute : Attribute
{
}
