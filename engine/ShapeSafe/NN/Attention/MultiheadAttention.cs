using ShapeSafe.Tracing;

namespace ShapeSafe.NN;

/// <summary>
/// Multi-head scaled dot-product attention (<c>nn.MultiheadAttention</c>): query, key and value are projected (by the
/// packed <c>in_proj_weight</c> [3E, E] when key and value have <c>embed_dim</c> features, or by separate
/// <c>q_proj_weight</c> [E, E], <c>k_proj_weight</c> [E, kdim] and <c>v_proj_weight</c> [E, vdim] otherwise) with
/// <c>in_proj_bias</c> [3E], split into heads of <c>head_dim = E / heads</c>, attended with
/// <c>softmax(q·kᵀ / sqrt(head_dim) + mask)·v</c>, concatenated and projected by <c>out_proj</c>.
/// </summary>
/// <remarks>
/// <para>
/// Parameters in PyTorch's order: <c>in_proj_weight</c> (or <c>q_proj_weight</c>, <c>k_proj_weight</c>,
/// <c>v_proj_weight</c>; xavier_uniform each), <c>in_proj_bias</c> (zeros), <c>out_proj.weight</c> and
/// <c>out_proj.bias</c> (a <see cref="NonDynamicallyQuantizableLinear"/> whose bias is zeroed). The generator is drawn
/// from in PyTorch's order (out_proj's construction, then the projection weights in order), so a seeded generator
/// gives PyTorch's values.
/// </para>
/// <para>
/// Masks are Bool, where <c>true</c> means the position is NOT allowed to attend (PyTorch's convention for this layer,
/// the opposite of <see cref="F.ScaledDotProductAttention"/>'s), or floating and added to the scores. A Bool mask
/// becomes <c>-inf</c> where true and 0 elsewhere, as PyTorch's <c>_canonical_mask</c> converts it; the two kinds may be
/// mixed. A query whose every key is masked gives NaN weights (and a NaN output) when <c>needWeights</c> is true, the
/// explicit softmax PyTorch runs then; with <c>needWeights</c> false the attention runs through
/// <see cref="F.ScaledDotProductAttention"/>, as PyTorch's, and such a row's output is the output projection of zeros.
/// </para>
/// <para>
/// <c>add_bias_kv</c> adds <c>bias_k</c> and <c>bias_v</c> [1, 1, E] (xavier_normal, drawn after the projections, as
/// PyTorch), appended to the projected key and value as one more source position for every batch entry;
/// <c>add_zero_attn</c> then appends a zero key and value per head. Each pads the masks by one column that allows
/// attention, as PyTorch's <c>F.pad(mask, (0, 1))</c>. The forward is composed of differentiable ops, so autograd
/// needs no backward of its own.
/// </para>
/// </remarks>
[Module]
public partial class MultiheadAttention : Module
{
    const string Op = "MultiheadAttention";

    /// <summary>Creates the layer with PyTorch's default initialization.</summary>
    /// <param name="embedDim">The model's number of features, E (the query's and the output's).</param>
    /// <param name="numHeads">The number of parallel heads; must divide <paramref name="embedDim"/>.</param>
    /// <param name="dropout">The dropout probability on the attention weights, in training.</param>
    /// <param name="bias">Whether the input and output projections learn biases.</param>
    /// <param name="batchFirst">Whether inputs and output are [N, L, E] rather than [L, N, E].</param>
    /// <param name="generator">The generator the initial values are drawn from (the default generator when null).</param>
    /// <param name="kdim">The key's number of features (<c>kdim</c>); <paramref name="embedDim"/> when null.</param>
    /// <param name="vdim">The value's number of features (<c>vdim</c>); <paramref name="embedDim"/> when null.</param>
    /// <param name="addBiasKv">Whether to learn <c>bias_k</c> and <c>bias_v</c>, appended to the key and value sequences (<c>add_bias_kv</c>).</param>
    /// <param name="addZeroAttn">Whether to append a zero key and value to every head's sequence (<c>add_zero_attn</c>).</param>
    /// <exception cref="ShapeException"><paramref name="embedDim"/> is not divisible by <paramref name="numHeads"/>.</exception>
    public MultiheadAttention([Dim("E")] int embedDim, int numHeads, double dropout = 0, bool bias = true, bool batchFirst = false,
        Generator? generator = null, int? kdim = null, int? vdim = null, bool addBiasKv = false, bool addZeroAttn = false)
    {
        if (embedDim <= 0)
            throw new ArgumentOutOfRangeException(nameof(embedDim), embedDim, $"{Op}: embed_dim must be greater than zero");
        if (numHeads <= 0)
            throw new ArgumentOutOfRangeException(nameof(numHeads), numHeads, $"{Op}: num_heads must be greater than zero");
        if (embedDim % numHeads != 0)
            throw new ShapeException(Op, $"embed_dim must be divisible by num_heads, got embed_dim={embedDim} and num_heads={numHeads}");
        if (kdim is <= 0)
            throw new ArgumentOutOfRangeException(nameof(kdim), kdim, $"{Op}: kdim must be greater than zero");
        if (vdim is <= 0)
            throw new ArgumentOutOfRangeException(nameof(vdim), vdim, $"{Op}: vdim must be greater than zero");
        F.CheckProbability(Op, dropout);
        EmbedDim = embedDim;
        KDim = kdim ?? embedDim;
        VDim = vdim ?? embedDim;
        NumHeads = numHeads;
        HeadDim = embedDim / numHeads;
        Dropout = dropout;
        BatchFirst = batchFirst;

        if (QkvSameEmbedDim)
        {
            InProjWeight = new Parameter(Tensor.Empty(3 * embedDim, embedDim));
        }
        else
        {
            QProjWeight = new Parameter(Tensor.Empty(embedDim, embedDim));
            KProjWeight = new Parameter(Tensor.Empty(embedDim, KDim));
            VProjWeight = new Parameter(Tensor.Empty(embedDim, VDim));
        }
        InProjBias = bias ? new Parameter(Tensor.Empty(3 * embedDim)) : null;
        if (addBiasKv)
        {
            BiasK = new Parameter(Tensor.Empty(1, 1, embedDim));
            BiasV = new Parameter(Tensor.Empty(1, 1, embedDim));
        }
        AddZeroAttn = addZeroAttn;
        OutProj = new NonDynamicallyQuantizableLinear(embedDim, embedDim, bias, generator);
        ResetParameters(generator);
    }

    /// <summary>The model's number of features, E.</summary>
    public int EmbedDim { get; }

    /// <summary>The key's number of features (<c>kdim</c>).</summary>
    public int KDim { get; }

    /// <summary>The value's number of features (<c>vdim</c>).</summary>
    public int VDim { get; }

    /// <summary>Whether key and value have E features, so the projections are packed in <see cref="InProjWeight"/> (<c>_qkv_same_embed_dim</c>).</summary>
    public bool QkvSameEmbedDim => KDim == EmbedDim && VDim == EmbedDim;

    /// <summary>The number of heads.</summary>
    public int NumHeads { get; }

    /// <summary>The features per head, E / heads.</summary>
    public int HeadDim { get; }

    /// <summary>The dropout probability on the attention weights, in training.</summary>
    public double Dropout { get; }

    /// <summary>Whether inputs and output are [N, L, E] rather than [L, N, E].</summary>
    public bool BatchFirst { get; }

    /// <summary>The packed query, key and value projections, [3E, E]; null when kdim or vdim differ from E.</summary>
    [StateName("in_proj_weight")]
    public Parameter? InProjWeight { get; }

    /// <summary>The query projection [E, E] when kdim or vdim differ from E, else null.</summary>
    [StateName("q_proj_weight")]
    public Parameter? QProjWeight { get; }

    /// <summary>The key projection [E, kdim] when kdim or vdim differ from E, else null.</summary>
    [StateName("k_proj_weight")]
    public Parameter? KProjWeight { get; }

    /// <summary>The value projection [E, vdim] when kdim or vdim differ from E, else null.</summary>
    [StateName("v_proj_weight")]
    public Parameter? VProjWeight { get; }

    /// <summary>The packed projection biases, [3E], or null without bias.</summary>
    [StateName("in_proj_bias")]
    public Parameter? InProjBias { get; }

    /// <summary>The key bias appended to the projected key sequence, [1, 1, E], or null without <c>add_bias_kv</c>.</summary>
    [StateName("bias_k")]
    public Parameter? BiasK { get; }

    /// <summary>The value bias appended to the projected value sequence, [1, 1, E], or null without <c>add_bias_kv</c>.</summary>
    [StateName("bias_v")]
    public Parameter? BiasV { get; }

    /// <summary>Whether a zero key and value are appended to every head's sequence (<c>add_zero_attn</c>).</summary>
    public bool AddZeroAttn { get; }

    /// <summary>The output projection, E → E.</summary>
    [StateName("out_proj")]
    public NonDynamicallyQuantizableLinear OutProj { get; }

    /// <summary>
    /// PyTorch's <c>_reset_parameters</c>: xavier_uniform on <c>in_proj_weight</c> (or on <c>q_proj_weight</c>,
    /// <c>k_proj_weight</c> and <c>v_proj_weight</c>, in order), zeros on both biases (out_proj's weight keeps its
    /// <see cref="Linear"/> initialization), then xavier_normal on <c>bias_k</c> and <c>bias_v</c> when present.
    /// </summary>
    public void ResetParameters(Generator? generator = null)
    {
        if (InProjWeight is not null) Init.XavierUniform(InProjWeight, generator: generator);
        if (QProjWeight is not null) Init.XavierUniform(QProjWeight, generator: generator);
        if (KProjWeight is not null) Init.XavierUniform(KProjWeight, generator: generator);
        if (VProjWeight is not null) Init.XavierUniform(VProjWeight, generator: generator);
        if (InProjBias is not null) Init.Zeros(InProjBias);
        if (OutProj.Bias is not null) Init.Zeros(OutProj.Bias);
        if (BiasK is not null) Init.XavierNormal(BiasK, generator: generator);
        if (BiasV is not null) Init.XavierNormal(BiasV, generator: generator);
    }


    /// <summary>
    /// Attends from <paramref name="query"/> to <paramref name="key"/>/<paramref name="value"/>.
    /// </summary>
    /// <param name="query">[L, N, E] ([N, L, E] when batch-first), or unbatched [L, E].</param>
    /// <param name="key">[S, N, kdim] ([N, S, kdim] when batch-first), or unbatched [S, kdim].</param>
    /// <param name="value">[S, N, vdim] in the key's layout.</param>
    /// <param name="keyPaddingMask">
    /// A mask [N, S] ([S] unbatched) on the keys: Bool (true = ignore this key) or floating (added to the scores).
    /// </param>
    /// <param name="needWeights">Whether to return the attention weights.</param>
    /// <param name="attnMask">
    /// A mask [L, S], or [N·heads, L, S] per batch entry and head: Bool (true = not allowed to attend) or floating
    /// (added to the scores).
    /// </param>
    /// <param name="averageAttnWeights">Whether the returned weights are averaged over the heads.</param>
    /// <param name="isCausal">
    /// PyTorch's <c>is_causal</c> hint that <paramref name="attnMask"/> is the causal mask; it requires
    /// <paramref name="attnMask"/>. Exactly as in PyTorch 2.10: when there is no <paramref name="keyPaddingMask"/> and
    /// <paramref name="needWeights"/> is false, <paramref name="attnMask"/> is not used (only its rank is checked) and
    /// the attention is causal (query i attends to keys 0..i, <see cref="F.ScaledDotProductAttention"/>'s
    /// <c>isCausal</c>); otherwise the hint is ignored and <paramref name="attnMask"/> is applied as given. A wrong hint
    /// thus gives a different result, as PyTorch warns.
    /// </param>
    /// <returns>
    /// <c>Output</c> in the query's layout; <c>Weights</c> (after dropout, as PyTorch returns them) [N, L, S] averaged
    /// or [N, heads, L, S] per head ([L, S] or [heads, L, S] unbatched), or null when <paramref name="needWeights"/> is false.
    /// </returns>
    /// <exception cref="ShapeException">The inputs' or masks' shapes do not fit each other or the layer.</exception>
    /// <exception cref="ArgumentException">A mask is neither Bool nor floating, or <paramref name="isCausal"/> is given without <paramref name="attnMask"/>.</exception>
    public (Tensor Output, Tensor? Weights) Forward([Shape("..., E")] Tensor query, Tensor key, Tensor value, Tensor? keyPaddingMask = null,
        bool needWeights = true, Tensor? attnMask = null, bool averageAttnWeights = true, bool isCausal = false)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(value);
        if (OpTrace.Recording)
        {
            // Reported as one op, so an exporter writes the attention with a free batch dim (its reshapes here use sizes).
            var outputs = OpTrace.RunMany(Op, [query, key, value, keyPaddingMask, attnMask, InProjWeight, InProjBias, OutProj.Weight, OutProj.Bias,
                    QProjWeight, KProjWeight, VProjWeight, BiasK, BiasV], () =>
                {
                    var (o, w) = Forward(query, key, value, keyPaddingMask, needWeights, attnMask, averageAttnWeights, isCausal);
                    return w is null ? [o] : [o, w];
                },
                ("numHeads", NumHeads), ("batchFirst", BatchFirst), ("needWeights", needWeights), ("averageAttnWeights", averageAttnWeights),
                ("isCausal", isCausal), ("addZeroAttn", AddZeroAttn));
            return (outputs[0], outputs.Length > 1 ? outputs[1] : null);
        }
        string shapes = $"query {Rules.Format(query.Sizes)}, key {Rules.Format(key.Sizes)}, value {Rules.Format(value.Sizes)}";
        if (query.Rank is not (2 or 3))
            throw new ShapeException(Op, $"query should be unbatched 2D or batched 3D tensor but received {query.Rank}-D query tensor ({shapes})");
        bool batched = query.Rank == 3;
        if (key.Rank != query.Rank || value.Rank != query.Rank)
            throw new ShapeException(Op, $"For {(batched ? "batched (3-D)" : "unbatched (2-D)")} `query`, expected `key` and `value` to be {query.Rank}-D but found {key.Rank}-D and {value.Rank}-D tensors respectively ({shapes})");
        if (QkvSameEmbedDim)
        {
            if (!key.Sizes.AsSpan().SequenceEqual(value.Sizes))
                throw new ShapeException(Op, $"key shape {Rules.Format(key.Sizes)} does not match value shape {Rules.Format(value.Sizes)}");
        }
        else if (!key.Sizes.AsSpan(0, key.Rank - 1).SequenceEqual(value.Sizes.AsSpan(0, value.Rank - 1)))
        {
            throw new ShapeException(Op, $"key's sequence and batch dims {Rules.Format(key.Sizes[..^1])} do not match value's {Rules.Format(value.Sizes[..^1])} ({shapes})");
        }

        // Work in [L, N, E] throughout, as PyTorch's functional form does.
        Tensor ToSeqFirst(Tensor t) => !batched ? t.Unsqueeze(1) : BatchFirst ? t.Transpose(0, 1) : t;
        var q = ToSeqFirst(query);
        var k = ToSeqFirst(key);
        var v = ToSeqFirst(value);
        int targetLength = q.Sizes[0], batch = q.Sizes[1], sourceLength = k.Sizes[0];
        if (q.Sizes[2] != EmbedDim)
            throw new ShapeException(Op, $"was expecting embedding dimension of {EmbedDim}, but got {q.Sizes[2]} ({shapes})");
        if (k.Sizes[2] != KDim)
            throw new ShapeException(Op, $"expecting key with kdim={KDim} features, but got {k.Sizes[2]} ({shapes})");
        if (v.Sizes[2] != VDim)
            throw new ShapeException(Op, $"expecting value with vdim={VDim} features, but got {v.Sizes[2]} ({shapes})");
        if (k.Sizes[1] != batch)
            throw new ShapeException(Op, $"key's batch size {k.Sizes[1]} differs from query's {batch} ({shapes})");

        if (keyPaddingMask is not null) RequireMaskDType(keyPaddingMask, "key_padding_mask");
        if (attnMask is not null) RequireMaskDType(attnMask, "attn_mask");
        if (isCausal && attnMask is null)
            throw new ArgumentException($"{Op}: Need attn_mask if specifying the is_causal hint. You may use the Transformer module method `generate_square_subsequent_mask` to create this mask. ({shapes})", nameof(isCausal));
        if (keyPaddingMask is not null && batched && keyPaddingMask.Rank != 2)
            throw new ShapeException(Op, $"For batched (3-D) `query`, expected `key_padding_mask` to be `None` or 2-D but found {keyPaddingMask.Rank}-D tensor instead ({shapes})");
        if (attnMask is not null && attnMask.Rank is not (2 or 3))
            throw new ShapeException(Op, $"For {(batched ? "batched (3-D)" : "unbatched (2-D)")} `query`, expected `attn_mask` to be `None`, 2-D or 3-D but found {attnMask.Rank}-D tensor instead ({shapes})");
        // PyTorch's hint: with no padding mask and no weights wanted, the given mask is dropped and SDPA runs causal.
        bool causal = isCausal && keyPaddingMask is null && !needWeights;
        var mask = CombinedMask(causal ? null : attnMask, keyPaddingMask, batched, batch, targetLength, sourceLength, query.DType, shapes);
        // bias_k/bias_v and the zero attention each add a source position that every query may attend to.
        int extra = (BiasK is null ? 0 : 1) + (AddZeroAttn ? 1 : 0);
        if (mask is not null && extra > 0)
        {
            var columns = (int[])mask.Sizes.Clone();
            columns[^1] = extra;
            mask = Tensor.Cat([mask, Tensor.Zeros(columns, mask.DType)], -1);
        }

        Tensor wq, wk, wv;
        if (InProjWeight is not null)
        {
            var w = InProjWeight.Chunk(3, 0);
            (wq, wk, wv) = (w[0], w[1], w[2]);
        }
        else
        {
            (wq, wk, wv) = (QProjWeight!, KProjWeight!, VProjWeight!);
        }
        var b = InProjBias?.Chunk(3, 0);
        int heads = NumHeads, headDim = HeadDim;
        // [len, N, E] → [N·heads, len, headDim]
        Tensor Heads(Tensor x) => x.Reshape(x.Sizes[0], batch * heads, headDim).Transpose(0, 1);
        var qp = F.Linear(q, wq, b?[0]);
        var kp = F.Linear(k, wk, b?[1]);
        var vp = F.Linear(v, wv, b?[2]);
        if (BiasK is not null && BiasV is not null)
        {
            // PyTorch's bias_k.repeat(1, N, 1), as an expand: the same values, and the gradient summed over the batch.
            kp = Tensor.Cat([kp, BiasK.Expand(1, batch, EmbedDim)], 0);
            vp = Tensor.Cat([vp, BiasV.Expand(1, batch, EmbedDim)], 0);
        }
        var qh = Heads(qp);
        var kh = Heads(kp);
        var vh = Heads(vp);
        if (AddZeroAttn)
        {
            var zeros = Tensor.Zeros(new[] { batch * heads, 1, headDim }, kh.DType);
            kh = Tensor.Cat([kh, zeros], 1);
            vh = Tensor.Cat([vh, zeros], 1);
        }
        int attendedLength = kh.Sizes[1];
        double dropout = Training ? Dropout : 0;

        Tensor attended, weights = null!;
        if (!needWeights)
        {
            // PyTorch's path without weights: scaled_dot_product_attention (a fully masked row gives zeros, not NaN).
            attended = F.ScaledDotProductAttention(qh, kh, vh, mask, dropout, causal);
        }
        else
        {
            var scores = (qh * (float)Math.Sqrt(1.0 / headDim)).Matmul(kh.Transpose(1, 2));   // [N·heads, L, S]
            if (mask is not null) scores = scores + mask;
            weights = scores.Softmax(-1);
            if (dropout > 0) weights = F.Dropout(weights, dropout, training: true);
            attended = weights.Matmul(vh);                                                    // [N·heads, L, headDim]
        }
        attended = attended.Transpose(0, 1).Reshape(targetLength * batch, EmbedDim);
        var output = OutProj.Forward(attended).Reshape(targetLength, batch, EmbedDim);
        output = !batched ? output.Squeeze(1) : BatchFirst ? output.Transpose(0, 1) : output;

        if (!needWeights) return (output, null);
        var perHead = weights.Reshape(batch, heads, targetLength, attendedLength);
        var returned = averageAttnWeights ? perHead.Mean(1) : perHead;
        return (output, batched ? returned : returned.Squeeze(0));
    }

    // The attention mask and the key padding mask as one additive mask that broadcasts to [N·heads, L, S].
    Tensor? CombinedMask(Tensor? attnMask, Tensor? keyPaddingMask, bool batched, int batch, int targetLength, int sourceLength, DType dtype, string shapes)
    {
        Tensor? mask = null;
        if (attnMask is not null)
        {
            if (attnMask.Rank == 2)
            {
                if (attnMask.Sizes[0] != targetLength || attnMask.Sizes[1] != sourceLength)
                    throw new ShapeException(Op, $"The shape of the 2D attn_mask is {Rules.Format(attnMask.Sizes)}, but should be [{targetLength}, {sourceLength}] ({shapes})");
                mask = Additive(attnMask, dtype).Unsqueeze(0);
            }
            else
            {
                int expected = batch * NumHeads;
                if (attnMask.Sizes[0] != expected || attnMask.Sizes[1] != targetLength || attnMask.Sizes[2] != sourceLength)
                    throw new ShapeException(Op, $"The shape of the 3D attn_mask is {Rules.Format(attnMask.Sizes)}, but should be [{expected}, {targetLength}, {sourceLength}] ({shapes})");
                mask = Additive(attnMask, dtype);
            }
        }
        if (keyPaddingMask is not null)
        {
            var expected = batched ? new[] { batch, sourceLength } : new[] { sourceLength };
            if (!keyPaddingMask.Sizes.AsSpan().SequenceEqual(expected))
                throw new ShapeException(Op, $"expecting key_padding_mask shape of {Rules.Format(expected)}, but got {Rules.Format(keyPaddingMask.Sizes)} ({shapes})");
            var padding = Additive(keyPaddingMask, dtype).Reshape(batch, 1, 1, sourceLength)
                .Expand(batch, NumHeads, 1, sourceLength)
                .Reshape(batch * NumHeads, 1, sourceLength);
            mask = mask is null ? padding : mask + padding;
        }
        return mask;
    }

    // PyTorch's _canonical_mask: a Bool mask becomes -inf where true and 0 elsewhere, in the query's dtype; a float mask stays.
    static Tensor Additive(Tensor mask, DType dtype) =>
        mask.DType == DType.Bool ? Tensor.Zeros(mask.Sizes, dtype).MaskedFill(mask, double.NegativeInfinity) : mask;

    static void RequireMaskDType(Tensor mask, string name)
    {
        if (mask.DType is not (DType.Bool or DType.Float32 or DType.Float64 or DType.BFloat16))
            throw new ArgumentException($"{Op}: only bool and floating types of {name} are supported, got {mask.DType} {Rules.Format(mask.Sizes)}", name);
    }
}
