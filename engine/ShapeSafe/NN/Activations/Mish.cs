namespace ShapeSafe.NN;

/// <summary>Mish, <c>x·tanh(softplus(x))</c> element-wise (<c>nn.Mish</c>).</summary>
public class Mish : Module, ITensorModule
{
    /// <summary>Applies the function to <paramref name="input"/>.</summary>
    [ShapeContract("SameShape")]
    public Tensor Forward(Tensor input) => F.Mish(input);
}
