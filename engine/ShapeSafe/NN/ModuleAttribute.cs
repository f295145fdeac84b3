namespace ShapeSafe.NN;

/// <summary>
/// Marks a <c>partial</c> class deriving from <see cref="Module"/> for the ShapeSafe source generator, which writes
/// its registration (no reflection): <see cref="Module"/>-typed fields and auto-properties are children,
/// <see cref="Parameter"/> members are parameters, <see cref="Tensor"/> members marked <see cref="BufferAttribute"/>
/// are buffers, and arrays and read-only lists of modules are indexed children named as a
/// <see cref="ModuleList"/> names them (<c>heads.0.weight</c>). Members register in declaration order under their
/// own name with one leading <c>_</c> dropped, or the name a <see cref="StateNameAttribute"/> gives.
/// The generator also compiles the class's <c>Forward</c> into a graph that <c>Compile()</c> returns
/// (docs/compile.md); where it cannot, the module runs eagerly and diagnostic SS2009 says why.
/// </summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false, AllowMultiple = false)]
public sealed class ModuleAttribute : Attribute
{
    /// <summary>Whether a <c>Forward</c> the generator cannot compile is allowed (the default) or a build error (SS2010).</summary>
    public CompileMode Compile { get; set; }
}

/// <summary>What a <c>[Module]</c> class asks of the graph compiler.</summary>
public enum CompileMode
{
    /// <summary>Compile <c>Forward</c> where possible; a graph break runs it eagerly and is reported as information (SS2009).</summary>
    Auto,

    /// <summary><c>Forward</c> must compile: a graph break is an error (SS2010).</summary>
    Required,
}
