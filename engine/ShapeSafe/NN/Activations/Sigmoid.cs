namespace ShapeSafe.NN;

/// <summary><c>1 / (1 + e^-x)</c> element-wise (<c>nn.Sigmoid</c>).</summary>
public class Sigmoid : Module, ITensorModule
{
    /// <summary>Applies the function to <paramref name="input"/>.</summary>
    [ShapeContract("SameShape")]
    public Tensor Forward(Tensor input) => F.Sigmoid(input);
}
