namespace ShapeSafe;

/// <summary>
/// Declares a tensor's shape for the compile-time analyzers: <c>[Shape("B, 784")]</c> on a parameter,
/// field or property, <c>[return: Shape("B, 10")]</c> on a method. A dim is an integer, a name (<c>B</c>),
/// an expression of those with <c>* / + -</c> (<c>B*T</c>, <c>D/H</c>), <c>_</c> (one unchecked dim) or
/// <c>...</c> (any number of leading dims). The same name within one method means the same size.
/// Nothing happens at run time.
/// </summary>
[AttributeUsage(AttributeTargets.Parameter | AttributeTargets.Field | AttributeTargets.Property | AttributeTargets.ReturnValue,
    AllowMultiple = false, Inherited = true)]
public sealed class ShapeAttribute : Attribute
{
    /// <summary>Declares the shape, for example <c>"B, T, D"</c>.</summary>
    public ShapeAttribute(string shape) => Shape = shape;

    /// <summary>The declared shape as written.</summary>
    public string Shape { get; }
}

/// <summary>
/// On a module's constructor parameter: binds a dim name used in the class's <see cref="ShapeAttribute"/>
/// annotations to the argument given where the module is created, so <c>new Linear(784, 128)</c> makes the
/// analyzer check its input's last dim against 784.
/// </summary>
[AttributeUsage(AttributeTargets.Parameter, AllowMultiple = false, Inherited = true)]
public sealed class DimAttribute : Attribute
{
    /// <summary>Binds the parameter to the dim <paramref name="name"/>.</summary>
    public DimAttribute(string name) => Name = name;

    /// <summary>The dim name.</summary>
    public string Name { get; }
}

/// <summary>
/// Names the shape rule of the shared core (<c>ShapeSafe.Shapes.ShapeRules</c>) that an engine method obeys,
/// so the analyzers check calls to it without knowing the method: <c>[ShapeContract("Matmul")]</c>. The
/// receiver (for instance methods) comes first among the rule's tensor operands, then the tensor
/// parameters in order; other arguments map to the rule's arguments by position. On a layer's <c>Forward</c>
/// the input is the only tensor operand and the rule reads the layer's constructor arguments by parameter
/// name (<c>kernelSize</c>, <c>stride</c>, ...), as given where the layer was created.
/// </summary>
[AttributeUsage(AttributeTargets.Method | AttributeTargets.Constructor, AllowMultiple = false, Inherited = false)]
public sealed class ShapeContractAttribute : Attribute
{
    /// <summary>Names the rule, for example <c>"Matmul"</c>, <c>"View"</c>, <c>"Broadcast"</c>, <c>"SameShape"</c>.</summary>
    public ShapeContractAttribute(string rule) => Rule = rule;

    /// <summary>The rule's name.</summary>
    public string Rule { get; }
}
