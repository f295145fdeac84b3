namespace ShapeSafe.NN;

/// <summary>
/// Layer normalization over the trailing dims given by the normalized shape (<c>nn.LayerNorm</c>): each
/// sample's values there are normalized to mean 0 and (biased) variance 1, then scaled by <c>weight</c>
/// (ones) and shifted by <c>bias</c> (zeros), both of the normalized shape. The computation is
/// <see cref="F.LayerNorm"/>.
/// </summary>
[Module]
public partial class LayerNorm : Module, ITensorModule
{
    /// <summary>Normalizes over the last dims, of sizes <paramref name="normalizedShape"/>.</summary>
    /// <param name="normalizedShape">The sizes of the trailing dims to normalize over (at least one).</param>
    /// <param name="eps">Added to the variance for numerical stability.</param>
    /// <param name="elementwiseAffine">Whether to learn a weight (and a bias, unless <paramref name="bias"/> is false).</param>
    /// <param name="bias">Whether to learn the bias when affine.</param>
    public LayerNorm(int[] normalizedShape, double eps = 1e-5, bool elementwiseAffine = true, bool bias = true)
    {
        ArgumentNullException.ThrowIfNull(normalizedShape);
        if (normalizedShape.Length == 0 || normalizedShape.Any(s => s < 0))
            throw new ArgumentException($"LayerNorm: normalized_shape must have at least one non-negative size, got {Rules.Format(normalizedShape)}", nameof(normalizedShape));
        NormalizedShape = (int[])normalizedShape.Clone();
        Eps = eps;
        ElementwiseAffine = elementwiseAffine;
        Weight = elementwiseAffine ? new Parameter(Tensor.Ones(NormalizedShape)) : null;
        Bias = elementwiseAffine && bias ? new Parameter(Tensor.Zeros(NormalizedShape)) : null;
    }

    /// <summary>Normalizes over the last dim, of size <paramref name="normalizedShape"/>.</summary>
    public LayerNorm([Dim("D")] int normalizedShape, double eps = 1e-5, bool elementwiseAffine = true, bool bias = true)
        : this(new[] { normalizedShape }, eps, elementwiseAffine, bias)
    {
    }

    /// <summary>The sizes of the trailing dims normalized over.</summary>
    public int[] NormalizedShape { get; }

    /// <summary>Added to the variance before the square root.</summary>
    public double Eps { get; }

    /// <summary>Whether the layer learns a weight and bias.</summary>
    public bool ElementwiseAffine { get; }

    /// <summary>The scale, of the normalized shape, or null.</summary>
    [StateName("weight")]
    public Parameter? Weight { get; }

    /// <summary>The shift, of the normalized shape, or null.</summary>
    [StateName("bias")]
    public Parameter? Bias { get; }

    /// <summary>Normalizes <paramref name="input"/> [..., normalized shape].</summary>
    /// <exception cref="ShapeException">The input's trailing dims are not the normalized shape.</exception>
    [return: Shape("..., D")]
    public Tensor Forward([Shape("..., D")] Tensor input) => F.LayerNorm(input, NormalizedShape, Weight, Bias, Eps);

    /// <inheritdoc/>
    protected override string ExtraRepr() =>
        $"{PythonRepr.Tuple(NormalizedShape)}, eps={PythonRepr.Float(Eps)}, elementwise_affine={PythonRepr.Bool(ElementwiseAffine)}";
}
