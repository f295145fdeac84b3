namespace ShapeSafe.NN;

/// <summary>
/// Softplus, <c>log(1 + e^(βx)) / β</c> element-wise (<c>nn.Softplus</c>), reverting to the identity where
/// <c>βx &gt; threshold</c> for numerical stability.
/// </summary>
public class Softplus : Module, ITensorModule
{
    /// <summary>Creates the layer (PyTorch's defaults: β = 1, threshold = 20).</summary>
    public Softplus(double beta = 1.0, double threshold = 20.0)
    {
        Beta = beta;
        Threshold = threshold;
    }

    /// <summary>β, the sharpness.</summary>
    public double Beta { get; }

    /// <summary>Above this value of βx the output is x.</summary>
    public double Threshold { get; }

    /// <summary>Applies the function to <paramref name="input"/>.</summary>
    [ShapeContract("SameShape")]
    public Tensor Forward(Tensor input) => F.Softplus(input, Beta, Threshold);

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"beta={PythonRepr.Float(Beta)}, threshold={PythonRepr.Float(Threshold)}";
}
