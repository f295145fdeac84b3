namespace ShapeSafe.NN;

/// <summary>
/// The name a state member of a <c>[Module]</c> class is registered under, instead of the member's own name
/// (which is used with one leading <c>_</c> dropped). Use it to match a PyTorch checkpoint's names exactly:
/// <c>[StateName("running_mean")] [Buffer] Tensor runningMean</c>.
/// </summary>
[AttributeUsage(AttributeTargets.Field | AttributeTargets.Property, Inherited = false, AllowMultiple = false)]
public sealed class StateNameAttribute : Attribute
{
    /// <summary>Registers the member under <paramref name="name"/>: not empty, and without <c>"."</c>.</summary>
    public StateNameAttribute(string name) => Name = name;

    /// <summary>The registered name.</summary>
    public string Name { get; }
}
