namespace ShapeSafe.NN;

/// <summary><c>max(x, 0)</c> element-wise (<c>nn.ReLU</c>).</summary>
public class ReLU : Module, ITensorModule
{
    /// <summary>Applies the function to <paramref name="input"/>.</summary>
    [ShapeContract("SameShape")]
    public Tensor Forward(Tensor input) => F.Relu(input);
}
