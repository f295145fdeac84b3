namespace ShapeSafe.NN;

/// <summary>
/// The encoder-decoder Transformer of "Attention Is All You Need" (<c>nn.Transformer</c>): <c>encoder</c>, a
/// <see cref="TransformerEncoder"/> of <c>numEncoderLayers</c> layers with a final norm, and <c>decoder</c>, a
/// <see cref="TransformerDecoder"/> of <c>numDecoderLayers</c> layers with a final norm. There is no embedding or
/// output projection: inputs and output have <c>dModel</c> features.
/// </summary>
/// <remarks>
/// Initialization is PyTorch's: the layers are built (drawing as their constructors do), copied into the stacks, and
/// then every parameter with more than one dim is redrawn with xavier_uniform in <see cref="Module.Parameters"/>
/// order (<c>_reset_parameters</c>), so a seeded generator gives PyTorch's values. PyTorch's <c>custom_encoder</c> and
/// <c>custom_decoder</c> are not supported. Masks are Bool (true = not allowed) or additive float masks, as
/// <see cref="MultiheadAttention"/> takes them.
/// </remarks>
[Module]
public partial class Transformer : Module
{
    /// <summary>Creates the model with PyTorch's default initialization.</summary>
    /// <param name="dModel">The number of features of the inputs and output.</param>
    /// <param name="nhead">The number of attention heads; must divide <paramref name="dModel"/>.</param>
    /// <param name="numEncoderLayers">The number of encoder layers.</param>
    /// <param name="numDecoderLayers">The number of decoder layers.</param>
    /// <param name="dimFeedforward">The width of every feed-forward block.</param>
    /// <param name="dropout">The dropout probability.</param>
    /// <param name="activation"><c>"relu"</c> or <c>"gelu"</c>.</param>
    /// <param name="layerNormEps">The layer norms' epsilon.</param>
    /// <param name="batchFirst">Whether inputs and output are [N, len, E] rather than [len, N, E].</param>
    /// <param name="normFirst">Whether the layers are pre-norm.</param>
    /// <param name="bias">Whether the linear layers and layer norms learn biases.</param>
    /// <param name="generator">The generator the initial values are drawn from (the default generator when null).</param>
    public Transformer([Dim("E")] int dModel = 512, int nhead = 8, int numEncoderLayers = 6, int numDecoderLayers = 6, int dimFeedforward = 2048,
        double dropout = 0.1, string activation = "relu", double layerNormEps = 1e-5, bool batchFirst = false, bool normFirst = false,
        bool bias = true, Generator? generator = null)
    {
        DModel = dModel;
        NHead = nhead;
        BatchFirst = batchFirst;
        var encoderLayer = new TransformerEncoderLayer(dModel, nhead, dimFeedforward, dropout, activation, layerNormEps, batchFirst, normFirst, bias, generator);
        Encoder = new TransformerEncoder(encoderLayer, numEncoderLayers, new LayerNorm(dModel, layerNormEps, bias: bias));
        var decoderLayer = new TransformerDecoderLayer(dModel, nhead, dimFeedforward, dropout, activation, layerNormEps, batchFirst, normFirst, bias, generator);
        Decoder = new TransformerDecoder(decoderLayer, numDecoderLayers, new LayerNorm(dModel, layerNormEps, bias: bias));
        ResetParameters(generator);
    }

    /// <summary>The number of features of the inputs and output.</summary>
    public int DModel { get; }

    /// <summary>The number of attention heads.</summary>
    public int NHead { get; }

    /// <summary>Whether inputs and output are [N, len, E].</summary>
    public bool BatchFirst { get; }

    /// <summary>The encoder stack.</summary>
    [StateName("encoder")]
    public TransformerEncoder Encoder { get; }

    /// <summary>The decoder stack.</summary>
    [StateName("decoder")]
    public TransformerDecoder Decoder { get; }

    /// <summary>PyTorch's <c>_reset_parameters</c>: xavier_uniform on every parameter with more than one dim, in order.</summary>
    public void ResetParameters(Generator? generator = null)
    {
        foreach (var p in Parameters())
        {
            if (p.Rank > 1) Init.XavierUniform(p, generator: generator);
        }
    }

    /// <summary>Encodes <paramref name="src"/> and decodes <paramref name="tgt"/> against it.</summary>
    /// <param name="src">The source, [S, N, E] ([N, S, E] when batch-first, or unbatched [S, E]).</param>
    /// <param name="tgt">The target, [T, N, E] in the same layout.</param>
    /// <param name="srcMask">A mask [S, S] on the encoder's self-attention.</param>
    /// <param name="tgtMask">A mask [T, T] on the decoder's self-attention (for example <see cref="GenerateSquareSubsequentMask"/>(T)).</param>
    /// <param name="memoryMask">A mask [T, S] on the decoder's attention to the memory.</param>
    /// <param name="srcKeyPaddingMask">A mask [N, S] on source keys.</param>
    /// <param name="tgtKeyPaddingMask">A mask [N, T] on target keys.</param>
    /// <param name="memoryKeyPaddingMask">A mask [N, S] on memory keys.</param>
    /// <param name="srcIsCausal">The encoder's <c>is_causal</c> hint (detected from <paramref name="srcMask"/> when null).</param>
    /// <param name="tgtIsCausal">The decoder's <c>tgt_is_causal</c> hint (detected from <paramref name="tgtMask"/> when null).</param>
    /// <param name="memoryIsCausal">The decoder's <c>memory_is_causal</c> hint.</param>
    /// <returns>The decoder's output, in the target's shape.</returns>
    /// <exception cref="ShapeException">The batch sizes of src and tgt differ, or their features are not d_model.</exception>
    public Tensor Forward([Shape("..., E")] Tensor src, [Shape("..., E")] Tensor tgt, Tensor? srcMask = null, Tensor? tgtMask = null, Tensor? memoryMask = null,
        Tensor? srcKeyPaddingMask = null, Tensor? tgtKeyPaddingMask = null, Tensor? memoryKeyPaddingMask = null,
        bool? srcIsCausal = null, bool? tgtIsCausal = null, bool memoryIsCausal = false)
    {
        ArgumentNullException.ThrowIfNull(src);
        ArgumentNullException.ThrowIfNull(tgt);
        string shapes = $"src {Rules.Format(src.Sizes)}, tgt {Rules.Format(tgt.Sizes)}";
        if (src.Rank == 3 && tgt.Rank == 3)
        {
            int batchDim = BatchFirst ? 0 : 1;
            if (src.Sizes[batchDim] != tgt.Sizes[batchDim])
                throw new ShapeException("Transformer", $"the batch number of src and tgt must be equal (dim {batchDim}; {shapes})");
        }
        if (src.Rank == 0 || tgt.Rank == 0 || src.Sizes[^1] != DModel || tgt.Sizes[^1] != DModel)
            throw new ShapeException("Transformer", $"the feature number of src and tgt must be equal to d_model={DModel} ({shapes})");

        var memory = Encoder.Forward(src, srcMask, srcKeyPaddingMask, srcIsCausal);
        return Decoder.Forward(tgt, memory, tgtMask, memoryMask, tgtKeyPaddingMask, memoryKeyPaddingMask, tgtIsCausal, memoryIsCausal);
    }

    /// <summary>
    /// The causal mask for a sequence of <paramref name="sz"/> steps (<c>generate_square_subsequent_mask</c>):
    /// [sz, sz] with <c>-inf</c> above the diagonal (a step may not attend to later steps) and 0 elsewhere.
    /// </summary>
    public static Tensor GenerateSquareSubsequentMask(int sz)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(sz);
        var values = new float[sz * sz];
        for (int i = 0; i < sz; i++)
            for (int j = i + 1; j < sz; j++)
                values[i * sz + j] = float.NegativeInfinity;
        return Tensor.FromArray(values, sz, sz);
    }
}

/// <summary>PyTorch's helpers for the Transformer's causal hints.</summary>
internal static class TransformerMasks
{
    /// <summary>PyTorch's <c>_get_seq_len</c>: dim 0 of an unbatched input, else the sequence dim of the layout.</summary>
    public static int SequenceLength(Tensor src, bool batchFirst) => src.Rank == 2 ? src.Sizes[0] : src.Sizes[batchFirst ? 1 : 0];

    /// <summary>
    /// PyTorch's <c>_detect_is_causal_mask</c>: the hint when given; otherwise whether <paramref name="mask"/> (a Bool
    /// one converted to -inf/0 first) equals the causal mask of <paramref name="size"/> steps.
    /// </summary>
    public static bool DetectCausal(Tensor? mask, bool? isCausal, int size)
    {
        if (isCausal is { } given) return given;
        if (mask is null || mask.Rank != 2 || mask.Sizes[0] != size || mask.Sizes[1] != size) return false;
        var canonical = mask.DType == DType.Bool ? Tensor.Zeros(mask.Sizes, DType.Float32).MaskedFill(mask, double.NegativeInfinity) : mask;
        return canonical.Detach().Eq(Transformer.GenerateSquareSubsequentMask(size)).All().ItemBool();
    }
}
