using ShapeSafe.Kernels.Gemm;

namespace ShapeSafe.NN;

/// <summary>
/// One layer of the Transformer's encoder (<c>nn.TransformerEncoderLayer</c>): self-attention, then a feed-forward
/// block <c>linear2(dropout(act(linear1(x))))</c>, each with a residual connection and layer normalization, after
/// the block (post-norm, the default) or before it (<c>normFirst</c>).
/// </summary>
/// <remarks>
/// Submodules in PyTorch's order and names: <c>self_attn</c>, <c>linear1</c>, <c>dropout</c>, <c>linear2</c>,
/// <c>norm1</c>, <c>norm2</c>, <c>dropout1</c>, <c>dropout2</c>. The activation is a function, not a submodule, as
/// PyTorch stores a string activation. Masks are Bool (true = not allowed) or additive float masks, as
/// <see cref="MultiheadAttention"/> takes them.
/// </remarks>
[Module]
public partial class TransformerEncoderLayer : Module, ITensorModule
{
    /// <summary>Creates the layer with PyTorch's default initialization.</summary>
    /// <param name="dModel">The number of features of the input and output.</param>
    /// <param name="nhead">The number of attention heads; must divide <paramref name="dModel"/>.</param>
    /// <param name="dimFeedforward">The width of the feed-forward block.</param>
    /// <param name="dropout">The dropout probability (attention weights, feed-forward and both residual branches).</param>
    /// <param name="activation"><c>"relu"</c> or <c>"gelu"</c>.</param>
    /// <param name="layerNormEps">The layer norms' epsilon.</param>
    /// <param name="batchFirst">Whether inputs and output are [N, S, E] rather than [S, N, E].</param>
    /// <param name="normFirst">Whether to normalize before each block (pre-norm) rather than after the residual sum.</param>
    /// <param name="bias">Whether the linear layers and layer norms learn biases.</param>
    /// <param name="generator">The generator the initial values are drawn from (the default generator when null).</param>
    public TransformerEncoderLayer([Dim("E")] int dModel, int nhead, int dimFeedforward = 2048, double dropout = 0.1, string activation = "relu",
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
        Linear1 = new Linear(dModel, dimFeedforward, bias, generator);
        Dropout = new Dropout(dropout);
        Linear2 = new Linear(dimFeedforward, dModel, bias, generator);
        Norm1 = new LayerNorm(dModel, layerNormEps, bias: bias);
        Norm2 = new LayerNorm(dModel, layerNormEps, bias: bias);
        Dropout1 = new Dropout(dropout);
        Dropout2 = new Dropout(dropout);
    }

    /// <summary>The number of features of the input and output.</summary>
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

    /// <summary>Whether inputs and output are [N, S, E].</summary>
    public bool BatchFirst { get; }

    /// <summary>Whether the layer is pre-norm.</summary>
    public bool NormFirst { get; }

    /// <summary>Whether the linear layers and layer norms learn biases.</summary>
    public bool HasBias { get; }

    /// <summary>The self-attention (<c>self_attn</c>).</summary>
    [StateName("self_attn")]
    public MultiheadAttention SelfAttn { get; }

    /// <summary>The feed-forward block's first layer, E → dim_feedforward.</summary>
    [StateName("linear1")]
    public Linear Linear1 { get; }

    /// <summary>The dropout inside the feed-forward block.</summary>
    [StateName("dropout")]
    public Dropout Dropout { get; }

    /// <summary>The feed-forward block's second layer, dim_feedforward → E.</summary>
    [StateName("linear2")]
    public Linear Linear2 { get; }

    /// <summary>The norm of the self-attention block.</summary>
    [StateName("norm1")]
    public LayerNorm Norm1 { get; }

    /// <summary>The norm of the feed-forward block.</summary>
    [StateName("norm2")]
    public LayerNorm Norm2 { get; }

    /// <summary>The dropout on the self-attention branch.</summary>
    [StateName("dropout1")]
    public Dropout Dropout1 { get; }

    /// <summary>The dropout on the feed-forward branch.</summary>
    [StateName("dropout2")]
    public Dropout Dropout2 { get; }

    /// <summary>Runs the layer on <paramref name="src"/> [S, N, E] ([N, S, E] when batch-first, or unbatched [S, E]).</summary>
    /// <param name="src">The sequence.</param>
    /// <param name="srcMask">An attention mask [S, S] or [N·heads, S, S]: Bool (true = not allowed) or additive.</param>
    /// <param name="srcKeyPaddingMask">A mask [N, S] on the keys to ignore: Bool (true = ignore) or additive.</param>
    /// <param name="isCausal">
    /// PyTorch's <c>is_causal</c> hint that <paramref name="srcMask"/> is the causal mask (it requires the mask); see
    /// <see cref="MultiheadAttention.Forward"/> for what the hint changes.
    /// </param>
    /// <returns>The transformed sequence, in the input's shape.</returns>
    public Tensor Forward([Shape("..., E")] Tensor src, Tensor? srcMask = null, Tensor? srcKeyPaddingMask = null, bool isCausal = false)
    {
        var x = src;
        if (NormFirst)
        {
            x = x + SelfAttentionBlock(Norm1.Forward(x), srcMask, srcKeyPaddingMask, isCausal);
            x = x + FeedForwardBlock(Norm2.Forward(x));
        }
        else
        {
            x = Norm1.Forward(x + SelfAttentionBlock(x, srcMask, srcKeyPaddingMask, isCausal));
            x = Norm2.Forward(x + FeedForwardBlock(x));
        }
        return x;
    }

    Tensor ITensorModule.Forward(Tensor input) => Forward(input);

    Tensor SelfAttentionBlock(Tensor x, Tensor? mask, Tensor? keyPaddingMask, bool isCausal) =>
        Dropout1.Forward(SelfAttn.Forward(x, x, x, keyPaddingMask, needWeights: false, attnMask: mask, isCausal: isCausal).Output);

    Tensor FeedForwardBlock(Tensor x) =>
        Dropout2.Forward(Linear2.Forward(Dropout.Forward(TransformerActivation.LinearThenActivation(Activation, Linear1, x))));

    /// <summary>A deep copy (PyTorch's <c>copy.deepcopy</c> in <c>_get_clones</c>): same configuration, values and mode; no draw from the default generator.</summary>
    internal TransformerEncoderLayer DeepCopy()
    {
        var copy = new TransformerEncoderLayer(DModel, NHead, DimFeedforward, DropoutP, Activation, LayerNormEps, BatchFirst, NormFirst, HasBias,
            new Generator(0));
        copy.LoadStateDict(StateDict());
        copy.Train(Training);
        return copy;
    }
}

/// <summary>The activations the Transformer layers accept by name.</summary>
internal static class TransformerActivation
{
    public static void Check(string op, string activation)
    {
        if (activation is not ("relu" or "gelu"))
            throw new ArgumentException($"{op}: activation should be relu/gelu, not {activation}", nameof(activation));
    }

    /// <summary>
    /// <c>activation(linear(x))</c> as one op, the activation in the GEMM's epilogue (bitwise the two separate ops).
    /// </summary>
    public static Tensor LinearThenActivation(string activation, Linear linear, Tensor x) =>
        F.LinearCore(x, linear.Weight, linear.Bias, activation == "relu" ? GemmActivation.Relu : GemmActivation.Gelu);
}
