namespace ShapeSafe.NN;

/// <summary>
/// One layer of the Transformer's decoder (<c>nn.TransformerDecoderLayer</c>): self-attention over the target,
/// attention from the target to the encoder's output (memory), then the feed-forward block, each with a residual
/// connection and layer normalization (post-norm, or pre-norm with <c>normFirst</c>).
/// </summary>
/// <remarks>
/// Submodules in PyTorch's order and names: <c>self_attn</c>, <c>multihead_attn</c>, <c>linear1</c>, <c>dropout</c>,
/// <c>linear2</c>, <c>norm1</c>, <c>norm2</c>, <c>norm3</c>, <c>dropout1</c>, <c>dropout2</c>, <c>dropout3</c>.
/// Masks are Bool (true = not allowed) or additive float masks, as <see cref="MultiheadAttention"/> takes them.
/// </remarks>
[Module]
public partial class TransformerDecoderLayer : Module
{
    /// <summary>Creates the layer with PyTorch's default initialization; the parameters mean what they mean for <see cref="TransformerEncoderLayer"/>.</summary>
    public TransformerDecoderLayer([Dim("E")] int dModel, int nhead, int dimFeedforward = 2048, double dropout = 0.1, string activation = "relu",
        double layerNormEps = 1e-5, bool batchFirst = false, bool normFirst = false, bool bias = true, Generator? generator = null)
    {
        TransformerActivation.Check(GetName(), activation);
        DModel = dModel;
        NHead = nhead;
        DimFeedforward = dimFeedforward;
        DropoutP = dropout;
        Activation = activation;
        LayerNormEps = layerNormEps;
        BatchFirst = batchFirst;
        NormFirst = normFirst;
        HasBias = bias;

        SelfAttn = new MultiheadAttention(dModel, nhead, dropout, bias, batchFirst, generator);
        MultiheadAttn = new MultiheadAttention(dModel, nhead, dropout, bias, batchFirst, generator);
        Linear1 = new Linear(dModel, dimFeedforward, bias, generator);
        Dropout = new Dropout(dropout);
        Linear2 = new Linear(dimFeedforward, dModel, bias, generator);
        Norm1 = new LayerNorm(dModel, layerNormEps, bias: bias);
        Norm2 = new LayerNorm(dModel, layerNormEps, bias: bias);
        Norm3 = new LayerNorm(dModel, layerNormEps, bias: bias);
        Dropout1 = new Dropout(dropout);
        Dropout2 = new Dropout(dropout);
        Dropout3 = new Dropout(dropout);
    }

    /// <summary>The number of features of the target, memory and output.</summary>
    public int DModel { get; }

    /// <summary>The number of attention heads.</summary>
    public int NHead { get; }

    /// <summary>The width of the feed-forward block.</summary>
    public int DimFeedforward { get; }

    /// <summary>The dropout probability.</summary>
    public double DropoutP { get; }

    /// <summary><c>"relu"</c> or <c>"gelu"</c>.</summary>
    public string Activation { get; }

    /// <summary>The layer norms' epsilon.</summary>
    public double LayerNormEps { get; }

    /// <summary>Whether inputs and output are [N, T, E].</summary>
    public bool BatchFirst { get; }

    /// <summary>Whether the layer is pre-norm.</summary>
    public bool NormFirst { get; }

    /// <summary>Whether the linear layers and layer norms learn biases.</summary>
    public bool HasBias { get; }

    /// <summary>The self-attention over the target (<c>self_attn</c>).</summary>
    [StateName("self_attn")]
    public MultiheadAttention SelfAttn { get; }

    /// <summary>The attention from the target to the memory (<c>multihead_attn</c>).</summary>
    [StateName("multihead_attn")]
    public MultiheadAttention MultiheadAttn { get; }

    /// <summary>The feed-forward block's first layer.</summary>
    [StateName("linear1")]
    public Linear Linear1 { get; }

    /// <summary>The dropout inside the feed-forward block.</summary>
    [StateName("dropout")]
    public Dropout Dropout { get; }

    /// <summary>The feed-forward block's second layer.</summary>
    [StateName("linear2")]
    public Linear Linear2 { get; }

    /// <summary>The norm of the self-attention block.</summary>
    [StateName("norm1")]
    public LayerNorm Norm1 { get; }

    /// <summary>The norm of the memory-attention block.</summary>
    [StateName("norm2")]
    public LayerNorm Norm2 { get; }

    /// <summary>The norm of the feed-forward block.</summary>
    [StateName("norm3")]
    public LayerNorm Norm3 { get; }

    /// <summary>The dropout on the self-attention branch.</summary>
    [StateName("dropout1")]
    public Dropout Dropout1 { get; }

    /// <summary>The dropout on the memory-attention branch.</summary>
    [StateName("dropout2")]
    public Dropout Dropout2 { get; }

    /// <summary>The dropout on the feed-forward branch.</summary>
    [StateName("dropout3")]
    public Dropout Dropout3 { get; }

    /// <summary>Runs the layer on <paramref name="tgt"/> [T, N, E] attending to <paramref name="memory"/> [S, N, E] (batch-first or unbatched alike).</summary>
    /// <param name="tgt">The target sequence.</param>
    /// <param name="memory">The encoder's output.</param>
    /// <param name="tgtMask">A mask [T, T] on the self-attention (for example <see cref="Transformer.GenerateSquareSubsequentMask"/>).</param>
    /// <param name="memoryMask">A mask [T, S] on the memory attention.</param>
    /// <param name="tgtKeyPaddingMask">A mask [N, T] on target keys to ignore.</param>
    /// <param name="memoryKeyPaddingMask">A mask [N, S] on memory keys to ignore.</param>
    /// <param name="tgtIsCausal">PyTorch's <c>tgt_is_causal</c> hint that <paramref name="tgtMask"/> is causal (see <see cref="MultiheadAttention.Forward"/>).</param>
    /// <param name="memoryIsCausal">PyTorch's <c>memory_is_causal</c> hint that <paramref name="memoryMask"/> is causal.</param>
    /// <returns>The transformed target, in its shape.</returns>
    /// <remarks>Masks are Bool (true = not allowed) or additive.</remarks>
    public Tensor Forward([Shape("..., E")] Tensor tgt, [Shape("..., E")] Tensor memory, Tensor? tgtMask = null, Tensor? memoryMask = null,
        Tensor? tgtKeyPaddingMask = null, Tensor? memoryKeyPaddingMask = null, bool tgtIsCausal = false, bool memoryIsCausal = false)
    {
        var x = tgt;
        if (NormFirst)
        {
            x = x + SelfAttentionBlock(Norm1.Forward(x), tgtMask, tgtKeyPaddingMask, tgtIsCausal);
            x = x + MemoryAttentionBlock(Norm2.Forward(x), memory, memoryMask, memoryKeyPaddingMask, memoryIsCausal);
            x = x + FeedForwardBlock(Norm3.Forward(x));
        }
        else
        {
            x = Norm1.Forward(x + SelfAttentionBlock(x, tgtMask, tgtKeyPaddingMask, tgtIsCausal));
            x = Norm2.Forward(x + MemoryAttentionBlock(x, memory, memoryMask, memoryKeyPaddingMask, memoryIsCausal));
            x = Norm3.Forward(x + FeedForwardBlock(x));
        }
        return x;
    }

    Tensor SelfAttentionBlock(Tensor x, Tensor? mask, Tensor? keyPaddingMask, bool isCausal) =>
        Dropout1.Forward(SelfAttn.Forward(x, x, x, keyPaddingMask, needWeights: false, attnMask: mask, isCausal: isCausal).Output);

    Tensor MemoryAttentionBlock(Tensor x, Tensor memory, Tensor? mask, Tensor? keyPaddingMask, bool isCausal) =>
        Dropout2.Forward(MultiheadAttn.Forward(x, memory, memory, keyPaddingMask, needWeights: false, attnMask: mask, isCausal: isCausal).Output);

    Tensor FeedForwardBlock(Tensor x) =>
        Dropout3.Forward(Linear2.Forward(Dropout.Forward(TransformerActivation.LinearThenActivation(Activation, Linear1, x))));

    /// <summary>A deep copy (PyTorch's <c>copy.deepcopy</c> in <c>_get_clones</c>): same configuration, values and mode; no draw from the default generator.</summary>
    internal TransformerDecoderLayer DeepCopy()
    {
        var copy = new TransformerDecoderLayer(DModel, NHead, DimFeedforward, DropoutP, Activation, LayerNormEps, BatchFirst, NormFirst, HasBias,
            new Generator(0));
        copy.LoadStateDict(StateDict());
        copy.Train(Training);
        return copy;
    }
}
