namespace ShapeSafe.NN;

/// <summary>
/// A fully connected layer, <c>y = x·wᵀ + b</c> (<c>nn.Linear</c>), over the last dim of its input.
/// </summary>
/// <remarks>
/// The weight is [out, in] and the bias [out], both initialized as PyTorch does, weight first then bias:
/// <c>kaiming_uniform_(a=sqrt(5))</c>, which is U(-1/sqrt(in), 1/sqrt(in)), and U(-1/sqrt(in), 1/sqrt(in)) for the
/// bias. With the default generator seeded as PyTorch's, the values are PyTorch's. The forward is one fused op
/// (<see cref="F.Linear"/>).
/// </remarks>
[Module]
public partial class Linear : Module, ITensorModule
{
    /// <summary>Creates the layer with PyTorch's default initialization.</summary>
    /// <param name="inFeatures">The size of each input's last dim.</param>
    /// <param name="outFeatures">The size of each output's last dim.</param>
    /// <param name="bias">Whether to learn an additive bias.</param>
    /// <param name="generator">The generator the initial values are drawn from (the default generator when null).</param>
    public Linear([Dim("In")] int inFeatures, [Dim("Out")] int outFeatures, bool bias = true, Generator? generator = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(inFeatures);
        ArgumentOutOfRangeException.ThrowIfNegative(outFeatures);
        InFeatures = inFeatures;
        OutFeatures = outFeatures;
        Weight = new Parameter(Tensor.Empty(outFeatures, inFeatures));
        Bias = bias ? new Parameter(Tensor.Empty(outFeatures)) : null;
        ResetParameters(generator);
    }

    /// <summary>The size of each input's last dim.</summary>
    public int InFeatures { get; }

    /// <summary>The size of each output's last dim.</summary>
    public int OutFeatures { get; }

    /// <summary>The weight, [out, in].</summary>
    [StateName("weight")]
    public Parameter Weight { get; }

    /// <summary>The bias, [out], or null when the layer has none.</summary>
    [StateName("bias")]
    public Parameter? Bias { get; }

    /// <summary>Draws the weight and then the bias again, as at construction (<c>reset_parameters()</c>).</summary>
    public void ResetParameters(Generator? generator = null)
    {
        Init.DefaultWeightAndBias(Weight, Bias, generator, skipBiasWhenFanInIsZero: false);
    }

    /// <summary>Applies the layer to <paramref name="input"/> [..., in], giving [..., out].</summary>
    /// <exception cref="ShapeException">The input's last dim is not <see cref="InFeatures"/>.</exception>
    [return: Shape("..., Out")]
    public Tensor Forward([Shape("..., In")] Tensor input) => F.Linear(input, Weight, Bias);

    /// <inheritdoc/>
    protected override string ExtraRepr() =>
        $"in_features={InFeatures}, out_features={OutFeatures}, bias={PythonRepr.Bool(Bias is not null)}";
}
