namespace ShapeSafe.NN;

/// <summary>
/// Group normalization (<c>nn.GroupNorm</c>): the channels of [N, C, *] split into groups, each normalized per sample
/// by its own statistics, so it behaves the same for any batch size. Computed by <see cref="F.GroupNorm"/>.
/// </summary>
/// <remarks>State in PyTorch's names and order: <c>weight</c> (ones) and <c>bias</c> (zeros), [C], when affine.</remarks>
[Module]
public partial class GroupNorm : Module, ITensorModule
{
    /// <summary>Creates the layer.</summary>
    /// <param name="numGroups">How many groups the channels split into.</param>
    /// <param name="numChannels">C, the size of the input's dim 1.</param>
    /// <param name="eps">Added to the variance for numerical stability.</param>
    /// <param name="affine">Whether to learn a per-channel scale and shift.</param>
    /// <exception cref="ArgumentException"><paramref name="numChannels"/> is not divisible by <paramref name="numGroups"/>.</exception>
    public GroupNorm(int numGroups, [Dim("C")] int numChannels, double eps = 1e-5, bool affine = true)
    {
        if (numGroups <= 0 || numChannels % numGroups != 0)
            throw new ArgumentException($"GroupNorm: num_channels must be divisible by num_groups (num_channels={numChannels}, num_groups={numGroups})", nameof(numGroups));
        NumGroups = numGroups;
        NumChannels = numChannels;
        Eps = eps;
        Affine = affine;
        Weight = affine ? new Parameter(Tensor.Ones(numChannels)) : null;
        Bias = affine ? new Parameter(Tensor.Zeros(numChannels)) : null;
    }

    /// <summary>How many groups the channels split into.</summary>
    public int NumGroups { get; }

    /// <summary>C, the number of channels.</summary>
    public int NumChannels { get; }

    /// <summary>Added to the variance before the square root.</summary>
    public double Eps { get; }

    /// <summary>Whether the layer learns <see cref="Weight"/> and <see cref="Bias"/>.</summary>
    public bool Affine { get; }

    /// <summary>The per-channel scale, or null when not affine.</summary>
    [StateName("weight")]
    public Parameter? Weight { get; }

    /// <summary>The per-channel shift, or null when not affine.</summary>
    [StateName("bias")]
    public Parameter? Bias { get; }

    /// <summary>Normalizes <paramref name="input"/> [N, C, *].</summary>
    /// <exception cref="ShapeException">The input's dim 1 is not <see cref="NumChannels"/>.</exception>
    /// <remarks>No shape annotation: the input's rank varies (a trailing "..." cannot be written); the output has the input's shape.</remarks>
    [ShapeContract("SameShape")]
    public Tensor Forward(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.Rank < 2 || input.Sizes[1] != NumChannels)
            throw new ShapeException("GroupNorm", $"GroupNorm({NumGroups}, {NumChannels}) expects {NumChannels} channels in dim 1, got input {Rules.Format(input.Sizes)}");
        return F.GroupNorm(input, NumGroups, Weight, Bias, Eps);
    }

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"{NumGroups}, {NumChannels}, eps={PythonRepr.Float(Eps)}, affine={PythonRepr.Bool(Affine)}";
}
