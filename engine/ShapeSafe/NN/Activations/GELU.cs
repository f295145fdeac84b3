namespace ShapeSafe.NN;

/// <summary>
/// The Gaussian error linear unit <c>x·Φ(x)</c> element-wise (<c>nn.GELU</c>); with <c>approximate: "tanh"</c>,
/// the tanh approximation.
/// </summary>
public class GELU : Module, ITensorModule
{
    /// <summary>Creates the layer: <paramref name="approximate"/> is <c>"none"</c> (exact, the default) or <c>"tanh"</c>.</summary>
    /// <exception cref="ArgumentException"><paramref name="approximate"/> is neither.</exception>
    public GELU(string approximate = "none")
    {
        if (approximate is not ("none" or "tanh"))
            throw new ArgumentException($"GELU: approximate argument must be either none or tanh, got '{approximate}'", nameof(approximate));
        Approximate = approximate;
    }

    /// <summary><c>"none"</c> or <c>"tanh"</c>.</summary>
    public string Approximate { get; }

    /// <summary>Applies the function to <paramref name="input"/>.</summary>
    [ShapeContract("SameShape")]
    public Tensor Forward(Tensor input) => F.Gelu(input, Approximate);

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"approximate='{Approximate}'";
}
