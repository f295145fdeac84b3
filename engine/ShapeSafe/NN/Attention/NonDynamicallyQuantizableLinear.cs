namespace ShapeSafe.NN;

/// <summary>
/// A <see cref="Linear"/> under the name PyTorch gives <see cref="MultiheadAttention"/>'s output projection
/// (<c>NonDynamicallyQuantizableLinear</c>), so printed attention modules read exactly as PyTorch's. It computes
/// what <see cref="Linear"/> computes.
/// </summary>
public sealed class NonDynamicallyQuantizableLinear : Linear
{
    /// <summary>Creates the layer with <see cref="Linear"/>'s default initialization.</summary>
    public NonDynamicallyQuantizableLinear(int inFeatures, int outFeatures, bool bias = true, Generator? generator = null)
        : base(inFeatures, outFeatures, bias, generator)
    {
    }
}
