namespace ShapeSafe.NN;

/// <summary>
/// Marks a <c>partial</c> class deriving from <see cref="Module"/> for the ShapeSafe source generator, which
/// writes its parameter, buffer and child registration (no reflection) and its compiled graph.
/// </summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false, AllowMultiple = false)]
public sealed class ModuleAttribute : Attribute
{
}
