using System.ComponentModel;
using System.Numerics.Tensors;
using ShapeSafe.Gradients;
using ShapeSafe.Kernels.Dropout;
using ShapeSafe.Kernels.Gemm;
using ShapeSafe.Kernels.Reduction;
using ShapeSafe.NN;
using ShapeSafe.Shapes;

namespace ShapeSafe.CompiledGraphs;

// Cross-attention as a composite step: a MultiheadAttention whose key and value are not its query (a sequence of S
// positions attended from the query's L), with the packed in-projection or, for a layer of kdim or vdim features, the
// separate q/k/v projections. The kernels are the self-attention's, run on [L, S] scores: the projections' GEMMs, the
// batched GEMMs of scaled_dot_product_attention on the strided head views, the softmax kernel, dropout's mask and the
// output projection, so outputs and gradients are eager mode's bit for bit.
public static partial class GraphOps
{
    /// <summary>
    /// The plan of <paramref name="layer"/>'s attention from a query of shape <paramref name="query"/> to a key and a
    /// value of shapes <paramref name="key"/> and <paramref name="value"/>, given masks of the shapes
    /// <paramref name="attnMask"/> and <paramref name="keyPaddingMask"/> (either may be null), checked as
    /// <see cref="MultiheadAttention.Forward"/> checks them, with its messages. With <paramref name="causalMask"/>, the
    /// shape of a mask passed with <c>isCausal: true</c> and no padding mask, the attention is causal (query i attends
    /// to keys 0..i, PyTorch's top-left alignment) and only that mask's rank is checked.
    /// </summary>
    /// <remarks>
    /// With <paramref name="needWeights"/>, the attention runs as the eager layer's <c>needWeights: true</c> path (the
    /// query scaled before the product, the explicit softmax) and keeps its weights for <see cref="AttentionWeights"/>:
    /// averaged over the heads, [N, L, S], or per head, [N, heads, L, S], as <paramref name="averageAttnWeights"/> says.
    /// </remarks>
    public static CrossAttentionPlan PlanCrossAttention(int[] query, int[] key, int[] value, MultiheadAttention layer,
        int[]? attnMask = null, int[]? keyPaddingMask = null, int[]? causalMask = null, bool needWeights = false, bool averageAttnWeights = true) =>
        new(query, key, value, layer, attnMask, keyPaddingMask, causalMask, needWeights, averageAttnWeights);

    /// <summary>
    /// output = <paramref name="layer"/>'s attention from <paramref name="query"/> to <paramref name="key"/> and
    /// <paramref name="value"/> with this call's masks (Bool or Float32, of the plan's shapes, as the graph's guard
    /// checked), as <see cref="MultiheadAttention.Forward"/> computes it with <c>needWeights: false</c>.
    /// </summary>
    public static void CrossAttention(CrossAttentionPlan plan, MultiheadAttention layer, Tensor query, Tensor key, Tensor value,
        Tensor? attnMask, Tensor? keyPaddingMask, Tensor output, CrossAttentionState s)
    {
        if (plan.Masks is not null) s.Masks!.Combine(plan.Masks, attnMask, keyPaddingMask);
        s.WeightsGradient = false;
        int length = plan.Length, source = plan.Source, batch = plan.Batch, embed = plan.Embed, headDim = plan.HeadDim, heads = plan.Heads * batch;
        var (wq, wk, wv) = Projections(layer);
        var (bq, bk, bv) = layer.InProjBias is { } bias ? Thirds(bias) : (null, null, null);
        LinearGradient.ForwardInto(plan.SeqFirst(query, length, plan.Embed, s.QuerySeqFirst), wq, bq, GemmActivation.None, s.Query);
        LinearGradient.ForwardInto(plan.SeqFirst(key, source, plan.KeyFeatures, s.KeySeqFirst), wk, bk, GemmActivation.None, s.Key);
        LinearGradient.ForwardInto(plan.SeqFirst(value, source, plan.ValueFeatures, s.ValueSeqFirst), wv, bv, GemmActivation.None, s.Value);

        // scores = q·kᵀ on the head views [N·heads, L, headDim] and [N·heads, S, headDim]: head b starts at b·headDim,
        // its rows N·E apart.
        int rowStride = batch * embed, area = length * source;
        // With the weights, the eager layer scales the query before the product (qh * sqrt(1/headDim), a float);
        // without them, scaled_dot_product_attention scales the scores after it.
        var scaled = s.Query;
        if (plan.NeedWeights)
        {
            TensorPrimitives.Multiply(s.Query.FloatData.AsSpan(0, length * rowStride), plan.QueryScale, s.ScaledQuery!.FloatData.AsSpan(0, length * rowStride));
            scaled = s.ScaledQuery;
        }
        GemmKernel.SgemmBatched(heads, length, source, headDim, 1f,
            scaled.FloatData, 0, headDim, rowStride, 1,
            s.Key.FloatData, 0, headDim, 1, rowStride,
            0f, s.Weights.FloatData, 0, area, source, 1);
        var weights = s.Weights.FloatData.AsSpan(0, heads * area);
        if (!plan.NeedWeights) TensorPrimitives.Multiply(weights, plan.Scale, weights);
        if (plan.Causal) FillCausal(weights, heads, length, source, float.NegativeInfinity);
        s.Masks?.Apply(plan.Masks!, weights);
        SoftmaxKernel.Run(s.Weights.FloatData, 0, heads * length, source, 1, s.Weights.FloatData, log: false);
        // scaled_dot_product_attention's safe softmax gives a fully masked query zero weights; the explicit softmax of
        // the weights path leaves them NaN, as eager mode does.
        if (!plan.NeedWeights) s.Masks?.ClearDeadRows(weights, source);

        double p = layer.Training ? layer.Dropout : 0;
        s.Masked = p > 0;
        var attended = s.Weights;
        if (s.Masked)
        {
            var mask = s.Mask.AsSpan(0, heads * area);
            if (p == 1) mask.Clear();
            else DropoutKernel.Mask(mask, p, null);
            TensorPrimitives.Multiply(weights, mask, s.Dropped.FloatData.AsSpan(0, heads * area));
            attended = s.Dropped;
        }
        GemmKernel.SgemmBatched(heads, length, headDim, source, 1f,
            attended.FloatData, 0, area, source, 1,
            s.Value.FloatData, 0, headDim, rowStride, 1,
            0f, s.Attended.FloatData, 0, length * headDim, headDim, 1);

        // The head merge, attended.Transpose(0, 1).Reshape(L·N, E): row l of head b goes to row l·N + b / heads.
        var from = s.Attended.FloatData;
        var to = s.Merged.FloatData;
        for (int b = 0; b < heads; b++)
            for (int i = 0; i < length; i++)
                from.AsSpan((b * length + i) * headDim, headDim).CopyTo(to.AsSpan(i * rowStride + b * headDim, headDim));
        var projected = plan.BatchFirst ? s.Projected! : output;
        LinearGradient.ForwardInto(s.Merged, layer.OutProj.Weight, layer.OutProj.Bias, GemmActivation.None, projected);
        if (plan.BatchFirst) SwapLeadingDims(projected, length, batch, embed, output);
    }

    /// <summary>
    /// The gradients of <see cref="CrossAttention"/> for <paramref name="gradOutput"/>: the query's, the key's and the
    /// value's, and the projections' weights and biases (the packed <c>in_proj_weight</c>'s, or the separate
    /// <c>q_proj_weight</c>'s, <c>k_proj_weight</c>'s and <c>v_proj_weight</c>'s); each non-null parameter target is
    /// overwritten. The inputs' gradients are formed in the order eager autograd reaches them (value, key, query): a
    /// target that is the same tensor as an earlier one (a key that is the value) is added to, and so is one whose
    /// accumulate flag says a gradient arrived along another path first.
    /// </summary>
    public static void CrossAttentionBackward(CrossAttentionPlan plan, MultiheadAttention layer, CrossAttentionState s, Tensor gradOutput,
        Tensor query, Tensor key, Tensor value,
        Tensor? gradQuery, bool accumulateQuery, Tensor? gradKey, bool accumulateKey, Tensor? gradValue, bool accumulateValue,
        Tensor? gradInProjWeight, Tensor? gradQProjWeight, Tensor? gradKProjWeight, Tensor? gradVProjWeight, Tensor? gradInProjBias,
        Tensor? gradOutProjWeight, Tensor? gradOutProjBias)
    {
        int length = plan.Length, source = plan.Source, batch = plan.Batch, embed = plan.Embed, headDim = plan.HeadDim, heads = plan.Heads * batch;
        int rowStride = batch * embed, area = length * source;
        var g = gradOutput.Rank == 2 ? gradOutput : View(gradOutput, new[] { length * batch, embed });
        if (plan.BatchFirst)
        {
            SwapLeadingDims(gradOutput, batch, length, embed, s.GradProjected!);
            g = s.GradProjected!;
        }
        LinearGradient.BackwardInto(g, s.Merged, layer.OutProj.Weight, s.GradMerged, gradOutProjWeight, gradOutProjBias);

        // The merged gradient read as the attended values' [N·heads, L, headDim] (the merge's backward is a view).
        var attended = s.Masked ? s.Dropped : s.Weights;
        GemmKernel.SgemmBatched(heads, length, source, headDim, 1f,
            s.GradMerged.FloatData, 0, headDim, rowStride, 1,
            s.Value.FloatData, 0, headDim, 1, rowStride,
            0f, s.GradWeights.FloatData, 0, area, source, 1);
        GemmKernel.SgemmBatched(heads, source, headDim, length, 1f,
            attended.FloatData, 0, area, 1, source,
            s.GradMerged.FloatData, 0, headDim, rowStride, 1,
            0f, s.GradValue.FloatData, 0, headDim, rowStride, 1);
        var dw = s.GradWeights.FloatData.AsSpan(0, heads * area);
        // The returned weights' gradient (AttentionWeightsBackward's) joins the product's: the weights after dropout
        // are read by both.
        if (s.WeightsGradient) TensorPrimitives.Add(dw, s.GradReturned!.FloatData.AsSpan(0, heads * area), dw);
        if (s.Masked) TensorPrimitives.Multiply(dw, s.Mask.AsSpan(0, heads * area), dw);
        var dScores = s.GradScores.FloatData.AsSpan(0, heads * area);
        ReductionGradient.SoftmaxLastDimInto(dw, s.Weights.FloatData.AsSpan(0, heads * area), source, dScores);
        // The causal mask's backward (eager mode's Where): no gradient where the key is masked.
        if (plan.Causal) FillCausal(dScores, heads, length, source, 0f);
        if (!plan.NeedWeights)
        {
            s.Masks?.ClearDeadRows(dScores, source);
            TensorPrimitives.Multiply(dScores, plan.Scale, dScores);
        }
        GemmKernel.SgemmBatched(heads, length, headDim, source, 1f,
            s.GradScores.FloatData, 0, area, source, 1,
            s.Key.FloatData, 0, headDim, rowStride, 1,
            0f, s.GradQuery.FloatData, 0, headDim, rowStride, 1);
        // The weights path: the scaled query's gradient, then the scale's (qh * s), and the key's from the scaled query.
        if (plan.NeedWeights) TensorPrimitives.Multiply(s.GradQuery.FloatData.AsSpan(0, length * rowStride), plan.QueryScale, s.GradQuery.FloatData.AsSpan(0, length * rowStride));
        GemmKernel.SgemmBatched(heads, source, headDim, length, 1f,
            s.GradScores.FloatData, 0, area, 1, source,
            (plan.NeedWeights ? s.ScaledQuery! : s.Query).FloatData, 0, headDim, rowStride, 1,
            0f, s.GradKey.FloatData, 0, headDim, rowStride, 1);

        var (wq, wk, wv) = Projections(layer);
        var (gwq, gwk, gwv) = gradInProjWeight is null ? (gradQProjWeight, gradKProjWeight, gradVProjWeight) : Thirds(gradInProjWeight);
        var (gbq, gbk, gbv) = gradInProjBias is null ? (null, null, null) : Thirds(gradInProjBias);
        var xq = plan.BatchFirst ? s.QuerySeqFirst! : plan.Rows(query, length, embed);
        var xk = plan.BatchFirst ? s.KeySeqFirst! : plan.Rows(key, source, plan.KeyFeatures);
        var xv = plan.BatchFirst ? s.ValueSeqFirst! : plan.Rows(value, source, plan.ValueFeatures);
        // An input read as two of the three (a key that is the value) sums its gradients in eager autograd's order.
        bool keyAdds = gradKey is not null && ReferenceEquals(gradKey, gradValue) || accumulateKey;
        bool queryAdds = gradQuery is not null && (ReferenceEquals(gradQuery, gradValue) || ReferenceEquals(gradQuery, gradKey)) || accumulateQuery;
        CrossProjectionBackward(plan, s.GradValue, xv, wv, gradValue, accumulateValue, source, plan.ValueFeatures, s.GradValueSeqFirst, s.GradValuePartial, gwv, gbv);
        CrossProjectionBackward(plan, s.GradKey, xk, wk, gradKey, keyAdds, source, plan.KeyFeatures, s.GradKeySeqFirst, s.GradKeyPartial, gwk, gbk);
        CrossProjectionBackward(plan, s.GradQuery, xq, wq, gradQuery, queryAdds, length, embed, s.GradQuerySeqFirst, s.GradQueryPartial, gwq, gbq);
    }

    /// <summary>
    /// output = the attention weights of the call in flight, as <see cref="MultiheadAttention.Forward"/> returns them
    /// with <c>needWeights: true</c> (after dropout): averaged over the heads with eager mode's mean (the sum kernel over
    /// the heads, then the division by their count), or per head.
    /// </summary>
    public static void AttentionWeights(CrossAttentionPlan plan, CrossAttentionState s, Tensor output)
    {
        if (!plan.NeedWeights) throw new ArgumentException("Compile: the attention's plan does not keep its weights", nameof(plan));
        var weights = s.Masked ? s.Dropped : s.Weights;
        int count = plan.Heads * plan.Batch * plan.Length * plan.Source;
        if (!plan.AverageWeights)
        {
            weights.FloatData.AsSpan(0, count).CopyTo(output.FloatData.AsSpan(output.Offset, count));
            return;
        }
        var perHead = View(weights, new[] { plan.Batch, plan.Heads, plan.Length, plan.Source });
        var mean = s.Averaged!;
        SumKernel.Sum(ReductionPlan.Create(perHead, new[] { false, true, false, false }), mean);
        TensorPrimitives.Divide(mean, (float)plan.Heads, mean);
        mean.CopyTo(output.FloatData.AsSpan(output.Offset, mean.Length));
    }

    /// <summary>
    /// Keeps the returned weights' gradient for the attention's backward (<see cref="CrossAttentionBackward"/>), as the
    /// mean's backward gives it: each head's share is the gradient divided by the heads' count.
    /// </summary>
    public static void AttentionWeightsBackward(CrossAttentionPlan plan, CrossAttentionState s, Tensor gradWeights)
    {
        int area = plan.Length * plan.Source, heads = plan.Heads;
        var to = s.GradReturned!.FloatData;
        var g = gradWeights.FloatData.AsSpan(gradWeights.Offset, (plan.AverageWeights ? 1 : heads) * plan.Batch * area);
        if (!plan.AverageWeights) g.CopyTo(to);
        else
            for (int b = 0; b < plan.Batch; b++)
                for (int h = 0; h < heads; h++)
                    TensorPrimitives.Divide(g.Slice(b * area, area), (float)heads, to.AsSpan((b * heads + h) * area, area));
        s.WeightsGradient = true;
    }

    // One projection's gradients; its input's written into gradInput (in the input's layout), or added to it.
    static void CrossProjectionBackward(CrossAttentionPlan plan, Tensor grad, Tensor x, Tensor weight, Tensor? gradInput, bool add, int length, int features,
        Tensor? seqFirst, Tensor partial, Tensor? gradWeight, Tensor? gradBias)
    {
        if (gradInput is null)
        {
            LinearGradient.BackwardInto(grad, x, weight, null, gradWeight, gradBias);
            return;
        }
        if (!plan.BatchFirst)
        {
            var rows = plan.Rows(gradInput, length, features);
            LinearGradient.BackwardInto(grad, x, weight, add ? partial : rows, gradWeight, gradBias);
            if (add) AddInPlace(rows, partial);
            return;
        }
        // Sequence-first rows, put back in the input's batch-first order.
        LinearGradient.BackwardInto(grad, x, weight, seqFirst, gradWeight, gradBias);
        SwapLeadingDims(seqFirst!, length, plan.Batch, features, add ? partial : gradInput);
        if (add) AddInPlace(gradInput, partial);
    }

    // The query, key and value projections: the packed weight's chunks, or the separate weights of a kdim/vdim layer.
    static (Tensor, Tensor, Tensor) Projections(MultiheadAttention layer) => layer.InProjWeight is { } packed
        ? Thirds(packed)
        : (layer.QProjWeight!.Detach(), layer.KProjWeight!.Detach(), layer.VProjWeight!.Detach());

    // Sets the scores (or their gradient) of the keys a causal query may not attend, keys i+1..S-1 of query i.
    static void FillCausal(Span<float> scores, int heads, int length, int source, float with)
    {
        for (int b = 0; b < heads; b++)
            for (int i = 0; i < length && i + 1 < source; i++)
                scores.Slice((b * length + i) * source + i + 1, source - i - 1).Fill(with);
    }
}

/// <summary>A cross-attention's sizes for one shape of its query, key and value (and masks), checked as <see cref="MultiheadAttention.Forward"/> checks them; made once per plan.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class CrossAttentionPlan
{
    const string Op = "MultiheadAttention";

    internal CrossAttentionPlan(int[] query, int[] key, int[] value, MultiheadAttention layer, int[]? attnMask, int[]? keyPaddingMask, int[]? causalMask,
        bool needWeights, bool averageAttnWeights)
    {
        string shapes = $"query {Rules.Format(query)}, key {Rules.Format(key)}, value {Rules.Format(value)}";
        if (layer.BiasK is not null || layer.AddZeroAttn)
            throw new CompiledGraphBreakException($"a MultiheadAttention with {(layer.BiasK is not null ? "addBiasKv" : "addZeroAttn")} (its extra key and value positions are not compiled; {shapes})");
        if (query.Length is not (2 or 3))
            throw new ShapeException(Op, $"query should be unbatched 2D or batched 3D tensor but received {query.Length}-D query tensor ({shapes})");
        bool batched = query.Length == 3;
        if (key.Length != query.Length || value.Length != query.Length)
            throw new ShapeException(Op, $"For {(batched ? "batched (3-D)" : "unbatched (2-D)")} `query`, expected `key` and `value` to be {query.Length}-D but found {key.Length}-D and {value.Length}-D tensors respectively ({shapes})");
        if (layer.QkvSameEmbedDim)
        {
            if (!key.AsSpan().SequenceEqual(value))
                throw new ShapeException(Op, $"key shape {Rules.Format(key)} does not match value shape {Rules.Format(value)}");
        }
        else if (!key.AsSpan(0, key.Length - 1).SequenceEqual(value.AsSpan(0, value.Length - 1)))
        {
            throw new ShapeException(Op, $"key's sequence and batch dims {Rules.Format(key[..^1])} do not match value's {Rules.Format(value[..^1])} ({shapes})");
        }
        BatchFirst = batched && layer.BatchFirst;
        Length = BatchFirst ? query[1] : query[0];
        Source = BatchFirst ? key[1] : key[0];
        Batch = !batched ? 1 : BatchFirst ? query[0] : query[1];
        int keyBatch = !batched ? 1 : BatchFirst ? key[0] : key[1];
        Embed = layer.EmbedDim;
        if (query[^1] != Embed)
            throw new ShapeException(Op, $"was expecting embedding dimension of {Embed}, but got {query[^1]} ({shapes})");
        if (key[^1] != layer.KDim)
            throw new ShapeException(Op, $"expecting key with kdim={layer.KDim} features, but got {key[^1]} ({shapes})");
        if (value[^1] != layer.VDim)
            throw new ShapeException(Op, $"expecting value with vdim={layer.VDim} features, but got {value[^1]} ({shapes})");
        if (keyBatch != Batch)
            throw new ShapeException(Op, $"key's batch size {keyBatch} differs from query's {Batch} ({shapes})");
        if (causalMask is not null && causalMask.Length is not (2 or 3))
            throw new ShapeException(Op, $"For {(batched ? "batched (3-D)" : "unbatched (2-D)")} `query`, expected `attn_mask` to be `None`, 2-D or 3-D but found {causalMask.Length}-D tensor instead ({shapes})");
        Causal = causalMask is not null;
        KeyFeatures = layer.KDim;
        ValueFeatures = layer.VDim;
        Heads = layer.NumHeads;
        HeadDim = layer.HeadDim;
        Scale = (float)(1.0 / Math.Sqrt(HeadDim));
        QueryScale = (float)Math.Sqrt(1.0 / HeadDim);
        NeedWeights = needWeights;
        AverageWeights = averageAttnWeights;
        WeightsSizes = !needWeights ? Array.Empty<int>()
            : batched ? (averageAttnWeights ? new[] { Batch, Length, Source } : new[] { Batch, Heads, Length, Source })
            : (averageAttnWeights ? new[] { Length, Source } : new[] { Heads, Length, Source });
        if (attnMask is not null || keyPaddingMask is not null)
            Masks = new AttentionMasksPlan(Length, Source, Batch, Heads, batched, shapes, attnMask, keyPaddingMask);
        OutputSizes = query;
    }

    /// <summary>The query's sequence length, L.</summary>
    internal int Length { get; }

    /// <summary>The key's and value's sequence length, S.</summary>
    internal int Source { get; }

    internal int Batch { get; }
    internal int Embed { get; }

    /// <summary>The key's features (kdim) and the value's (vdim).</summary>
    internal int KeyFeatures { get; }
    internal int ValueFeatures { get; }

    internal int Heads { get; }
    internal int HeadDim { get; }
    internal bool BatchFirst { get; }

    /// <summary>Whether query i attends to keys 0..i only.</summary>
    internal bool Causal { get; }

    /// <summary>The masks' shapes when the attention is given masks, else null.</summary>
    internal AttentionMasksPlan? Masks { get; }

    /// <summary>The scores' factor, 1/sqrt(headDim) rounded to float as the eager product by a double rounds it.</summary>
    internal float Scale { get; }

    /// <summary>The query's factor on the weights path, sqrt(1/headDim) as a float, as the eager layer multiplies.</summary>
    internal float QueryScale { get; }

    /// <summary>Whether the attention runs the eager layer's weights path and keeps its weights (<c>needWeights: true</c>).</summary>
    internal bool NeedWeights { get; }

    /// <summary>Whether the returned weights are averaged over the heads (<c>averageAttnWeights</c>).</summary>
    internal bool AverageWeights { get; }

    /// <summary>The attention's output shape (its query's).</summary>
    public int[] OutputSizes { get; }

    /// <summary>The returned weights' shape: [N, L, S] averaged, [N, heads, L, S] per head ([L, S] or [heads, L, S] unbatched); empty without weights.</summary>
    public int[] WeightsSizes { get; }

    /// <summary>An input (or its gradient) as the [length·N, features] rows its projection reads.</summary>
    internal Tensor Rows(Tensor t, int length, int features) => t.Rank == 2 ? t : GraphOps.View(t, new[] { length * Batch, features });

    // The input as its projection's rows: itself when sequence-first, else a copy in sequence-first order (eager mode's
    // Reshape of the transposed view).
    internal Tensor SeqFirst(Tensor input, int length, int features, Tensor? seqFirst)
    {
        if (!BatchFirst) return Rows(input, length, features);
        var from = input.FloatData;
        var to = seqFirst!.FloatData;
        for (int n = 0; n < Batch; n++)
            for (int l = 0; l < length; l++)
                from.AsSpan(input.Offset + (n * length + l) * features, features).CopyTo(to.AsSpan((l * Batch + n) * features, features));
        return seqFirst;
    }
}

/// <summary>The intermediates a cross-attention step keeps for its backward, and its gradient scratch: one per buffer set.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class CrossAttentionState
{
    /// <summary>Allocates the state for <paramref name="plan"/>'s shapes.</summary>
    public CrossAttentionState(CrossAttentionPlan plan)
    {
        int queries = plan.Length * plan.Batch, keys = plan.Source * plan.Batch, heads = plan.Heads * plan.Batch;
        int[] projected = { queries, plan.Embed }, source = { keys, plan.Embed }, scores = { heads, plan.Length, plan.Source };
        int[] keyRows = { keys, plan.KeyFeatures }, valueRows = { keys, plan.ValueFeatures };
        Query = New(projected);
        Key = New(source);
        Value = New(source);
        Weights = New(scores);
        Dropped = New(scores);
        Mask = new float[heads * plan.Length * plan.Source];
        Attended = New(new[] { heads, plan.Length, plan.HeadDim });
        Merged = New(projected);
        GradMerged = New(projected);
        GradWeights = New(scores);
        GradScores = New(scores);
        GradQuery = New(projected);
        GradKey = New(source);
        GradValue = New(source);
        GradQueryPartial = New(projected);
        GradKeyPartial = New(keyRows);
        GradValuePartial = New(valueRows);
        if (plan.BatchFirst)
        {
            QuerySeqFirst = New(projected);
            KeySeqFirst = New(keyRows);
            ValueSeqFirst = New(valueRows);
            Projected = New(projected);
            GradProjected = New(projected);
            GradQuerySeqFirst = New(projected);
            GradKeySeqFirst = New(keyRows);
            GradValueSeqFirst = New(valueRows);
        }
        if (plan.Masks is not null) Masks = new AttentionMasksState(plan.Masks);
        if (plan.NeedWeights)
        {
            ScaledQuery = New(projected);
            GradReturned = New(scores);
            if (plan.AverageWeights) Averaged = new float[plan.Batch * plan.Length * plan.Source];
        }
    }

    static Tensor New(int[] shape) => Tensor.Uninitialized(DType.Float32, shape);

    /// <summary>The weights path's scaled query, its returned weights' gradient and whether the backward in flight has one, and the mean's scratch.</summary>
    internal Tensor? ScaledQuery { get; }
    internal Tensor? GradReturned { get; }
    internal bool WeightsGradient { get; set; }
    internal float[]? Averaged { get; }

    internal Tensor? QuerySeqFirst { get; }
    internal Tensor? KeySeqFirst { get; }
    internal Tensor? ValueSeqFirst { get; }
    internal Tensor Query { get; }
    internal Tensor Key { get; }
    internal Tensor Value { get; }
    internal Tensor Weights { get; }
    internal Tensor Dropped { get; }
    internal float[] Mask { get; }
    internal bool Masked { get; set; }
    internal Tensor Attended { get; }
    internal Tensor Merged { get; }
    internal Tensor? Projected { get; }
    internal Tensor? GradProjected { get; }
    internal Tensor GradMerged { get; }
    internal Tensor GradWeights { get; }
    internal Tensor GradScores { get; }
    internal Tensor GradQuery { get; }
    internal Tensor GradKey { get; }
    internal Tensor GradValue { get; }
    internal Tensor GradQueryPartial { get; }
    internal Tensor GradKeyPartial { get; }
    internal Tensor GradValuePartial { get; }
    internal Tensor? GradQuerySeqFirst { get; }
    internal Tensor? GradKeySeqFirst { get; }
    internal Tensor? GradValueSeqFirst { get; }

    /// <summary>The additive mask of the call in flight and its fully masked queries, when the attention is given masks.</summary>
    internal AttentionMasksState? Masks { get; }
}
