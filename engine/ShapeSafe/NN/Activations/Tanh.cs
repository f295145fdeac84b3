namespace ShapeSafe.NN;

/// <summary>The hyperbolic tangent element-wise (<c>nn.Tanh</c>).</summary>
public class Tanh : Module, ITensorModule
{
    /// <summary>Applies the function to <paramref name="input"/>.</summary>
    [ShapeContract("SameShape")]
    public Tensor Forward(Tensor input) => F.Tanh(input);
}
