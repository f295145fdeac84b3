namespace ShapeSafe.NN;

/// <summary><c>x &gt; 0 ? x : negativeSlope·x</c> element-wise (<c>nn.LeakyReLU</c>).</summary>
public class LeakyReLU : Module, ITensorModule
{
    /// <summary>Creates the layer with the given slope for negative inputs (PyTorch's default: 0.01).</summary>
    public LeakyReLU(double negativeSlope = 0.01) => NegativeSlope = negativeSlope;

    /// <summary>The slope for negative inputs.</summary>
    public double NegativeSlope { get; }

    /// <summary>Applies the function to <paramref name="input"/>.</summary>
    [ShapeContract("SameShape")]
    public Tensor Forward(Tensor input) => F.LeakyRelu(input, NegativeSlope);

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"negative_slope={PythonRepr.Float(NegativeSlope)}";
}
