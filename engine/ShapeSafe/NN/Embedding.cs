namespace ShapeSafe.NN;

/// <summary>
/// A lookup table of learned vectors (<c>nn.Embedding</c>): Int64 indices of any shape [...] give [..., dim].
/// The weight [num, dim] starts as standard normal samples (<c>normal_</c>, so a seeded generator gives PyTorch's
/// values), with the padding row, if any, zeroed; that row gets no gradient. The computation is
/// <see cref="F.Embedding"/>.
/// </summary>
[Module]
public partial class Embedding : Module, ITensorModule
{
    /// <summary>Creates the table.</summary>
    /// <param name="numEmbeddings">How many vectors (indices run over [0, numEmbeddings)).</param>
    /// <param name="embeddingDim">The length of each vector.</param>
    /// <param name="paddingIdx">An index whose vector stays zero and is not trained (negative counts from the end).</param>
    /// <param name="generator">The generator the initial values are drawn from (the default generator when null).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="paddingIdx"/> is outside [-numEmbeddings, numEmbeddings).</exception>
    public Embedding([Dim("Num")] int numEmbeddings, [Dim("Dim")] int embeddingDim, long? paddingIdx = null, Generator? generator = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(numEmbeddings);
        ArgumentOutOfRangeException.ThrowIfNegative(embeddingDim);
        if (paddingIdx is { } p)
        {
            if (p < -numEmbeddings || p >= numEmbeddings)
                throw new ArgumentOutOfRangeException(nameof(paddingIdx), p, $"Embedding: padding_idx must be within num_embeddings ({numEmbeddings})");
            paddingIdx = p < 0 ? p + numEmbeddings : p;
        }
        NumEmbeddings = numEmbeddings;
        EmbeddingDim = embeddingDim;
        PaddingIdx = paddingIdx;
        Weight = new Parameter(Tensor.Empty(numEmbeddings, embeddingDim));
        ResetParameters(generator);
    }

    /// <summary>How many vectors the table holds.</summary>
    public int NumEmbeddings { get; }

    /// <summary>The length of each vector.</summary>
    public int EmbeddingDim { get; }

    /// <summary>The padding index (made non-negative), or null.</summary>
    public long? PaddingIdx { get; }

    /// <summary>
    /// The table, [num, dim]. Assigning another parameter replaces the registered one, as assigning
    /// <c>emb.weight</c> does in PyTorch: that is how a model ties the table to an output layer's weight
    /// (<c>wte.weight = lm_head.weight</c>), after which the state dict lists the one tensor under both names.
    /// </summary>
    [StateName("weight")]
    public Parameter Weight { get; set; }

    /// <summary>Draws the table again from N(0, 1) and zeroes the padding row (<c>reset_parameters()</c>).</summary>
    public void ResetParameters(Generator? generator = null)
    {
        Init.Normal(Weight, generator: generator);
        if (PaddingIdx is { } p)
        {
            using var _ = Autograd.NoGrad();
            Weight.Detach()[(int)p].ZeroInPlace();
        }
    }

    /// <summary>Looks up every index of <paramref name="input"/> (Int64, any shape), giving [..., dim].</summary>
    /// <exception cref="ArgumentOutOfRangeException">An index is outside [0, num).</exception>
    [return: Shape("..., Dim")]
    public Tensor Forward([Shape("...")] Tensor input) => F.Embedding(input, Weight, PaddingIdx);

    /// <inheritdoc/>
    protected override string ExtraRepr() =>
        $"{NumEmbeddings}, {EmbeddingDim}" + (PaddingIdx is { } p ? $", padding_idx={p}" : "");
}
