namespace ShapeSafe.NN;

/// <summary>SiLU (swish), <c>x·σ(x)</c> element-wise (<c>nn.SiLU</c>).</summary>
public class SiLU : Module, ITensorModule
{
    /// <summary>Applies the function to <paramref name="input"/>.</summary>
    [ShapeContract("SameShape")]
    public Tensor Forward(Tensor input) => F.Silu(input);
}
