using ShapeSafe.Tracing;

namespace ShapeSafe.NN;

/// <summary>
/// Multi-head scaled dot-product attention (<c>nn.MultiheadAttention</c>) with query, key and value all of
/// <c>embed_dim</c> features: the inputs are projected by the packed <c>in_proj_weight</c> [3E, E] (rows q, k, v)
/// and <c>in_proj_bias</c> [3E], split into heads of <c>head_dim = E / heads</c>, attended with
/// <c>softmax(q·kᵀ / sqrt(head_dim) + mask)·v</c>, concatenated and projected by <c>out_proj</c>.
/// </summary>
/// <remarks>
/// <para>
/// Parameters in PyTorch's order: <c>in_proj_weight</c> (xavier_uniform), <c>in_proj_bias</c> (zeros),
/// <c>out_proj.weight</c> and <c>out_proj.bias</c> (a <see cref="NonDynamicallyQuantizableLinear"/> whose bias is
/// zeroed). The generator is drawn from in PyTorch's order (out_proj's construction, then in_proj_weight), so a
/// seeded generator gives PyTorch's values.
/// </para>
/// <para>
/// Masks are Float32 and added to the attention scores, as PyTorch treats float masks. There is no Bool dtype, so
/// PyTorch's boolean masks (true = not allowed) are written as additive masks: <c>-inf</c> where PyTorch's mask is
/// true and 0 elsewhere (see <see cref="Transformer.GenerateSquareSubsequentMask"/>). A row whose every score is
/// <c>-inf</c> gives NaN, as in PyTorch.
/// </para>
/// <para>
/// Not supported: <c>kdim</c>/<c>vdim</c> different from <c>embed_dim</c>, <c>add_bias_kv</c>, <c>add_zero_attn</c> and
/// <c>is_causal</c>. The forward is composed of differentiable ops, so autograd needs no backward of its own.
/// </para>
/// </remarks>
[Module]
public partial class MultiheadAttention : Module
{
    const string Op = "MultiheadAttention";

    /// <summary>Creates the layer with PyTorch's default initialization.</summary>
    /// <param name="embedDim">The model's number of features, E (query, key and value all have it).</param>
    /// <param name="numHeads">The number of parallel heads; must divide <paramref name="embedDim"/>.</param>
    /// <param name="dropout">The dropout probability on the attention weights, in training.</param>
    /// <param name="bias">Whether the input and output projections learn biases.</param>
    /// <param name="batchFirst">Whether inputs and output are [N, L, E] rather than [L, N, E].</param>
    /// <param name="generator">The generator the initial values are drawn from (the default generator when null).</param>
    /// <exception cref="ShapeException"><paramref name="embedDim"/> is not divisible by <paramref name="numHeads"/>.</exception>
    public MultiheadAttention([Dim("E")] int embedDim, int numHeads, double dropout = 0, bool bias = true, bool batchFirst = false,
        Generator? generator = null)
    {
        if (embedDim <= 0)
            throw new ArgumentOutOfRangeException(nameof(embedDim), embedDim, $"{Op}: embed_dim must be greater than zero");
        if (numHeads <= 0)
            throw new ArgumentOutOfRangeException(nameof(numHeads), numHeads, $"{Op}: num_heads must be greater than zero");
        if (embedDim % numHeads != 0)
            throw new ShapeException(Op, $"embed_dim must be divisible by num_heads, got embed_dim={embedDim} and num_heads={numHeads}");
        F.CheckProbability(Op, dropout);
        EmbedDim = embedDim;
        NumHeads = numHeads;
        HeadDim = embedDim / numHeads;
        Dropout = dropout;
        BatchFirst = batchFirst;

        InProjWeight = new Parameter(Tensor.Empty(3 * embedDim, embedDim));
        InProjBias = bias ? new Parameter(Tensor.Empty(3 * embedDim)) : null;
        OutProj = new NonDynamicallyQuantizableLinear(embedDim, embedDim, bias, generator);
        ResetParameters(generator);
    }

    /// <summary>The model's number of features, E.</summary>
    public int EmbedDim { get; }

    /// <summary>The number of heads.</summary>
    public int NumHeads { get; }

    /// <summary>The features per head, E / heads.</summary>
    public int HeadDim { get; }

    /// <summary>The dropout probability on the attention weights, in training.</summary>
    public double Dropout { get; }

    /// <summary>Whether inputs and output are [N, L, E] rather than [L, N, E].</summary>
    public bool BatchFirst { get; }

    /// <summary>The packed query, key and value projections, [3E, E].</summary>
    [StateName("in_proj_weight")]
    public Parameter InProjWeight { get; }

    /// <summary>The packed projection biases, [3E], or null without bias.</summary>
    [StateName("in_proj_bias")]
    public Parameter? InProjBias { get; }

    /// <summary>The output projection, E → E.</summary>
    [StateName("out_proj")]
    public NonDynamicallyQuantizableLinear OutProj { get; }

    /// <summary>
    /// PyTorch's <c>_reset_parameters</c>: xavier_uniform on <c>in_proj_weight</c>, zeros on both biases
    /// (out_proj's weight keeps its <see cref="Linear"/> initialization).
    /// </summary>
    public void ResetParameters(Generator? generator = null)
    {
        Init.XavierUniform(InProjWeight, generator: generator);
        if (InProjBias is not null) Init.Zeros(InProjBias);
        if (OutProj.Bias is not null) Init.Zeros(OutProj.Bias);
    }

    /// <summary>
    /// Attends from <paramref name="query"/> to <paramref name="key"/>/<paramref name="value"/>.
    /// </summary>
    /// <param name="query">[L, N, E] ([N, L, E] when batch-first), or unbatched [L, E].</param>
    /// <param name="key">[S, N, E] ([N, S, E] when batch-first), or unbatched [S, E].</param>
    /// <param name="value">The same shape as <paramref name="key"/>.</param>
    /// <param name="keyPaddingMask">An additive Float32 mask [N, S] ([S] unbatched): <c>-inf</c> on keys to ignore.</param>
    /// <param name="needWeights">Whether to return the attention weights.</param>
    /// <param name="attnMask">An additive Float32 mask [L, S], or [N·heads, L, S] per batch entry and head.</param>
    /// <param name="averageAttnWeights">Whether the returned weights are averaged over the heads.</param>
    /// <returns>
    /// <c>Output</c> in the query's layout; <c>Weights</c> (after dropout, as PyTorch returns them) [N, L, S] averaged
    /// or [N, heads, L, S] per head ([L, S] or [heads, L, S] unbatched), or null when <paramref name="needWeights"/> is false.
    /// </returns>
    /// <exception cref="ShapeException">The inputs' or masks' shapes do not fit each other or the layer.</exception>
    public (Tensor Output, Tensor? Weights) Forward([Shape("..., E")] Tensor query, [Shape("..., E")] Tensor key, [Shape("..., E")] Tensor value, Tensor? keyPaddingMask = null,
        bool needWeights = true, Tensor? attnMask = null, bool averageAttnWeights = true)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(value);
        if (OpTrace.Recording)
        {
            // Reported as one op, so an exporter writes the attention with a free batch dim (its reshapes here use sizes).
            var outputs = OpTrace.RunMany(Op, [query, key, value, keyPaddingMask, attnMask, InProjWeight, InProjBias, OutProj.Weight, OutProj.Bias], () =>
                {
                    var (o, w) = Forward(query, key, value, keyPaddingMask, needWeights, attnMask, averageAttnWeights);
                    return w is null ? [o] : [o, w];
                },
                ("numHeads", NumHeads), ("batchFirst", BatchFirst), ("needWeights", needWeights), ("averageAttnWeights", averageAttnWeights));
            return (outputs[0], outputs.Length > 1 ? outputs[1] : null);
        }
        string shapes = $"query {Rules.Format(query.Sizes)}, key {Rules.Format(key.Sizes)}, value {Rules.Format(value.Sizes)}";
        if (query.Rank is not (2 or 3))
            throw new ShapeException(Op, $"query should be unbatched 2D or batched 3D tensor, got {query.Rank}D ({shapes})");
        bool batched = query.Rank == 3;
        if (key.Rank != query.Rank || value.Rank != query.Rank)
            throw new ShapeException(Op, $"For {(batched ? "batched (3-D)" : "unbatched (2-D)")} `query`, expected `key` and `value` to be {query.Rank}-D ({shapes})");
        if (!key.Sizes.AsSpan().SequenceEqual(value.Sizes))
            throw new ShapeException(Op, $"key shape {Rules.Format(key.Sizes)} does not match value shape {Rules.Format(value.Sizes)}");

        // Work in [L, N, E] throughout, as PyTorch's functional form does.
        Tensor ToSeqFirst(Tensor t) => !batched ? t.Unsqueeze(1) : BatchFirst ? t.Transpose(0, 1) : t;
        var q = ToSeqFirst(query);
        var k = ToSeqFirst(key);
        var v = ToSeqFirst(value);
        int targetLength = q.Sizes[0], batch = q.Sizes[1], sourceLength = k.Sizes[0];
        if (q.Sizes[2] != EmbedDim)
            throw new ShapeException(Op, $"was expecting embedding dimension of {EmbedDim}, but got {q.Sizes[2]} ({shapes})");
        if (k.Sizes[2] != EmbedDim)
            throw new ShapeException(Op, $"key and value must have embed_dim={EmbedDim} features (kdim/vdim are not supported), got {k.Sizes[2]} ({shapes})");
        if (k.Sizes[1] != batch)
            throw new ShapeException(Op, $"key's batch size {k.Sizes[1]} differs from query's {batch} ({shapes})");

        var mask = CombinedMask(attnMask, keyPaddingMask, batched, batch, targetLength, sourceLength, shapes);

        var w = InProjWeight.Chunk(3, 0);
        var b = InProjBias?.Chunk(3, 0);
        int heads = NumHeads, headDim = HeadDim;
        // [len, N, E] → [N·heads, len, headDim]
        Tensor Heads(Tensor x, int i, int length) =>
            F.Linear(x, w[i], b?[i]).Reshape(length, batch * heads, headDim).Transpose(0, 1);
        var qh = Heads(q, 0, targetLength);
        var kh = Heads(k, 1, sourceLength);
        var vh = Heads(v, 2, sourceLength);

        var scores = (qh * (float)Math.Sqrt(1.0 / headDim)).Matmul(kh.Transpose(1, 2));   // [N·heads, L, S]
        if (mask is not null) scores = scores + mask;
        var weights = scores.Softmax(-1);
        if (Dropout > 0 && Training) weights = F.Dropout(weights, Dropout, training: true);

        var attended = weights.Matmul(vh)                                                     // [N·heads, L, headDim]
            .Transpose(0, 1).Reshape(targetLength * batch, EmbedDim);
        var output = OutProj.Forward(attended).Reshape(targetLength, batch, EmbedDim);
        output = !batched ? output.Squeeze(1) : BatchFirst ? output.Transpose(0, 1) : output;

        if (!needWeights) return (output, null);
        var perHead = weights.Reshape(batch, heads, targetLength, sourceLength);
        var returned = averageAttnWeights ? perHead.Mean(1) : perHead;
        return (output, batched ? returned : returned.Squeeze(0));
    }

    // The attention mask and the key padding mask as one additive mask that broadcasts to [N·heads, L, S].
    Tensor? CombinedMask(Tensor? attnMask, Tensor? keyPaddingMask, bool batched, int batch, int targetLength, int sourceLength, string shapes)
    {
        Tensor? mask = null;
        if (attnMask is not null)
        {
            RequireFloatMask(attnMask, "attn_mask");
            if (attnMask.Rank == 2)
            {
                if (attnMask.Sizes[0] != targetLength || attnMask.Sizes[1] != sourceLength)
                    throw new ShapeException(Op, $"The shape of the 2D attn_mask is {Rules.Format(attnMask.Sizes)}, but should be [{targetLength}, {sourceLength}] ({shapes})");
                mask = attnMask.Unsqueeze(0);
            }
            else if (attnMask.Rank == 3)
            {
                int expected = batch * NumHeads;
                if (attnMask.Sizes[0] != expected || attnMask.Sizes[1] != targetLength || attnMask.Sizes[2] != sourceLength)
                    throw new ShapeException(Op, $"The shape of the 3D attn_mask is {Rules.Format(attnMask.Sizes)}, but should be [{expected}, {targetLength}, {sourceLength}] ({shapes})");
                mask = attnMask;
            }
            else
            {
                throw new ShapeException(Op, $"attn_mask's dimension {attnMask.Rank} is not supported (expected 2 or 3; {shapes})");
            }
        }
        if (keyPaddingMask is not null)
        {
            RequireFloatMask(keyPaddingMask, "key_padding_mask");
            var expected = batched ? new[] { batch, sourceLength } : new[] { sourceLength };
            if (!keyPaddingMask.Sizes.AsSpan().SequenceEqual(expected))
                throw new ShapeException(Op, $"expecting key_padding_mask shape of {Rules.Format(expected)}, but got {Rules.Format(keyPaddingMask.Sizes)} ({shapes})");
            var padding = keyPaddingMask.Reshape(batch, 1, 1, sourceLength)
                .Expand(batch, NumHeads, 1, sourceLength)
                .Reshape(batch * NumHeads, 1, sourceLength);
            mask = mask is null ? padding : mask + padding;
        }
        return mask;
    }

    static void RequireFloatMask(Tensor mask, string name)
    {
        if (mask.DType != DType.Float32)
            throw new ArgumentException($"{Op}: {name} must be a Float32 additive mask (-inf where attention is not allowed, 0 elsewhere), got {mask.DType} {Rules.Format(mask.Sizes)}", name);
    }
}
