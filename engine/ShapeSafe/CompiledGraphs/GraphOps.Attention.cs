using System.ComponentModel;
using System.Numerics.Tensors;
using ShapeSafe.Gradients;
using ShapeSafe.Kernels.Dropout;
using ShapeSafe.Kernels.Gemm;
using ShapeSafe.Kernels.Reduction;
using ShapeSafe.NN;
using ShapeSafe.Shapes;

namespace ShapeSafe.CompiledGraphs;

// Self-attention and the Transformer encoder layer as composite steps: one forward kernel and one backward kernel per
// layer, each a sequence of the kernels eager mode runs for the layer's ops (the linear layers' GEMMs, the batched
// GEMMs of the attention on the same strided head views, the softmax kernel, dropout's mask, the layer norm), so the
// values are eager mode's. The layer's own intermediates live in a state object of the buffer set.
public static partial class GraphOps
{
    /// <summary>
    /// output = <paramref name="layer"/>'s self-attention of <paramref name="input"/> (query, key and value all the
    /// input, no mask, no weights returned), as <see cref="MultiheadAttention.Forward"/> computes it with
    /// <c>needWeights: false</c>: the three projections, <see cref="F.ScaledDotProductAttention"/>'s products on the
    /// head views, its softmax and (in training mode) its dropout drawn from the default generator, the head merge
    /// and the output projection. A causal plan attends from query i to keys 0..i only (<c>isCausal</c>).
    /// </summary>
    public static void SelfAttention(SelfAttentionPlan plan, MultiheadAttention layer, Tensor input, Tensor output, SelfAttentionState s)
    {
        int length = plan.Length, batch = plan.Batch, embed = plan.Embed, headDim = plan.HeadDim, heads = plan.Heads * batch;
        var x = SeqFirst(plan, input, s.SeqFirst);
        var (wq, wk, wv) = Thirds(layer.InProjWeight!);
        var (bq, bk, bv) = layer.InProjBias is { } bias ? Thirds(bias) : (null, null, null);
        LinearGradient.ForwardInto(x, wq, bq, GemmActivation.None, s.Query);
        LinearGradient.ForwardInto(x, wk, bk, GemmActivation.None, s.Key);
        LinearGradient.ForwardInto(x, wv, bv, GemmActivation.None, s.Value);

        // scores = q·kᵀ on the head views [N·heads, L, headDim]: head b starts at b·headDim, its rows N·E apart.
        int rowStride = batch * embed, square = length * length;
        GemmKernel.SgemmBatched(heads, length, length, headDim, 1f,
            s.Query.FloatData, 0, headDim, rowStride, 1,
            s.Key.FloatData, 0, headDim, 1, rowStride,
            0f, s.Weights.FloatData, 0, square, length, 1);
        var weights = s.Weights.FloatData.AsSpan(0, heads * square);
        // The scale after the product and the float it is rounded to, as ScaledDotProductAttention multiplies.
        TensorPrimitives.Multiply(weights, plan.Scale, weights);
        if (plan.Causal)
            for (int b = 0; b < heads; b++)
                for (int i = 0; i < length; i++)
                    weights.Slice(b * square + i * length + i + 1, length - i - 1).Fill(float.NegativeInfinity);
        s.Masks?.Apply(plan.Masks!, weights);
        SoftmaxKernel.Run(s.Weights.FloatData, 0, heads * length, length, 1, s.Weights.FloatData, log: false);
        s.Masks?.ClearDeadRows(weights, length);

        double p = layer.Training ? layer.Dropout : 0;
        s.Masked = p > 0;
        var attended = s.Weights;
        if (s.Masked)
        {
            var mask = s.Mask.AsSpan(0, heads * square);
            if (p == 1) mask.Clear();
            else DropoutKernel.Mask(mask, p, null);
            TensorPrimitives.Multiply(weights, mask, s.Dropped.FloatData.AsSpan(0, heads * square));
            attended = s.Dropped;
        }
        GemmKernel.SgemmBatched(heads, length, headDim, length, 1f,
            attended.FloatData, 0, square, length, 1,
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
    /// The gradients of <see cref="SelfAttention"/> for <paramref name="gradOutput"/>: the input's (three paths, one
    /// per projection) and the packed in-projection's and the output projection's weights and biases; each non-null
    /// target is overwritten. The matrix products' gradients are eager autograd's (dA = dC·Bᵀ, dB = Aᵀ·dC) on the
    /// same head views; the softmax's is eager autograd's kernel. With <paramref name="accumulate"/> the input's
    /// gradient is added to <paramref name="gradInput"/> (a gradient that arrived along another path first).
    /// </summary>
    public static void SelfAttentionBackward(SelfAttentionPlan plan, MultiheadAttention layer, SelfAttentionState s, Tensor gradOutput,
        Tensor input, Tensor? gradInput, bool accumulate, Tensor? gradInProjWeight, Tensor? gradInProjBias, Tensor? gradOutProjWeight, Tensor? gradOutProjBias)
    {
        int length = plan.Length, batch = plan.Batch, embed = plan.Embed, headDim = plan.HeadDim, heads = plan.Heads * batch;
        int rowStride = batch * embed, square = length * length;
        var g = Rows(gradOutput, plan);
        if (plan.BatchFirst)
        {
            SwapLeadingDims(gradOutput, batch, length, embed, s.GradProjected!);
            g = s.GradProjected!;
        }
        LinearGradient.BackwardInto(g, s.Merged, layer.OutProj.Weight, s.GradMerged, gradOutProjWeight, gradOutProjBias);

        // The merged gradient read as the attended values' [N·heads, L, headDim] (the merge's backward is a view).
        var attended = s.Masked ? s.Dropped : s.Weights;
        var weights = s.Weights.FloatData.AsSpan(0, heads * square);
        GemmKernel.SgemmBatched(heads, length, length, headDim, 1f,
            s.GradMerged.FloatData, 0, headDim, rowStride, 1,
            s.Value.FloatData, 0, headDim, 1, rowStride,
            0f, s.GradWeights.FloatData, 0, square, length, 1);
        GemmKernel.SgemmBatched(heads, length, headDim, length, 1f,
            attended.FloatData, 0, square, 1, length,
            s.GradMerged.FloatData, 0, headDim, rowStride, 1,
            0f, s.GradValue.FloatData, 0, headDim, rowStride, 1);
        if (s.Masked)
        {
            var dw = s.GradWeights.FloatData.AsSpan(0, heads * square);
            TensorPrimitives.Multiply(dw, s.Mask.AsSpan(0, heads * square), dw);
        }
        var dScores = s.GradScores.FloatData.AsSpan(0, heads * square);
        ReductionGradient.SoftmaxLastDimInto(s.GradWeights.FloatData.AsSpan(0, heads * square), weights, length, dScores);
        // The causal mask's backward (eager mode's Where): no gradient where the key is masked.
        if (plan.Causal)
            for (int b = 0; b < heads; b++)
                for (int i = 0; i < length; i++)
                    dScores.Slice(b * square + i * length + i + 1, length - i - 1).Clear();
        s.Masks?.ClearDeadRows(dScores, length);
        TensorPrimitives.Multiply(dScores, plan.Scale, dScores);
        GemmKernel.SgemmBatched(heads, length, headDim, length, 1f,
            s.GradScores.FloatData, 0, square, length, 1,
            s.Key.FloatData, 0, headDim, rowStride, 1,
            0f, s.GradQuery.FloatData, 0, headDim, rowStride, 1);
        GemmKernel.SgemmBatched(heads, length, headDim, length, 1f,
            s.GradScores.FloatData, 0, square, 1, length,
            s.Query.FloatData, 0, headDim, rowStride, 1,
            0f, s.GradKey.FloatData, 0, headDim, rowStride, 1);

        var x = plan.BatchFirst ? s.SeqFirst! : Rows(input, plan);
        var (wq, wk, wv) = Thirds(layer.InProjWeight!);
        var (gwq, gwk, gwv) = gradInProjWeight is null ? (null, null, null) : Thirds(gradInProjWeight);
        var (gbq, gbk, gbv) = gradInProjBias is null ? (null, null, null) : Thirds(gradInProjBias);
        // x feeds all three projections: its gradient sums theirs in the order eager autograd reaches them (value,
        // key, query), each added straight into x's gradient (through its own transposed view when batch-first).
        ProjectionBackward(plan, s, s.GradValue, x, wv, gradInput, accumulate, gwv, gbv);
        ProjectionBackward(plan, s, s.GradKey, x, wk, gradInput, true, gwk, gbk);
        ProjectionBackward(plan, s, s.GradQuery, x, wq, gradInput, true, gwq, gbq);
    }

    // One projection's gradients; x's written into gradInput, or added to it when add is set.
    static void ProjectionBackward(SelfAttentionPlan plan, SelfAttentionState s, Tensor grad, Tensor x, Tensor weight, Tensor? gradInput, bool add,
        Tensor? gradWeight, Tensor? gradBias)
    {
        if (gradInput is null)
        {
            LinearGradient.BackwardInto(grad, x, weight, null, gradWeight, gradBias);
            return;
        }
        if (!plan.BatchFirst)
        {
            var rows = Rows(gradInput, plan);
            LinearGradient.BackwardInto(grad, x, weight, add ? s.GradPartial : rows, gradWeight, gradBias);
            if (add) AddInPlace(rows, s.GradPartial);
            return;
        }
        // Sequence-first rows, put back in the input's batch-first order.
        LinearGradient.BackwardInto(grad, x, weight, s.GradSeqFirst, gradWeight, gradBias);
        SwapLeadingDims(s.GradSeqFirst!, plan.Length, plan.Batch, plan.Embed, add ? s.GradPartial : gradInput);
        if (add) AddInPlace(gradInput, s.GradPartial);
    }

    /// <summary>
    /// output = <paramref name="layer"/>'s <see cref="NN.TransformerEncoderLayer.Forward"/> of <paramref name="input"/>
    /// without masks, post-norm or pre-norm as the layer is built: its self-attention (<see cref="SelfAttention"/>), its
    /// three dropouts drawn from their generators in eager mode's order (in training mode), the feed-forward block
    /// with the activation in the first GEMM's epilogue, the residual sums and the two layer norms.
    /// </summary>
    public static void TransformerEncoderLayer(EncoderLayerPlan plan, NN.TransformerEncoderLayer layer, Tensor input, Tensor output, EncoderLayerState s)
    {
        if (layer.NormFirst)
        {
            LayerNorm(layer.Norm1, input, s.Normed1, s.Mean1, s.InvStd1);
            SelfAttention(plan.Attention, layer.SelfAttn, s.Normed1, s.Attended, s.Attention);
            s.Masked1 = Dropout(layer.Dropout1, s.Attended, s.Dropped1, s.Mask1);
            Add(input, s.Dropped1, s.Sum1);
            LayerNorm(layer.Norm2, s.Sum1, s.Normed2, s.Mean2, s.InvStd2);
            FeedForward(layer, s.Normed2, s);
            Add(s.Sum1, s.Dropped2, output);
        }
        else
        {
            SelfAttention(plan.Attention, layer.SelfAttn, input, s.Attended, s.Attention);
            s.Masked1 = Dropout(layer.Dropout1, s.Attended, s.Dropped1, s.Mask1);
            Add(input, s.Dropped1, s.Sum1);
            LayerNorm(layer.Norm1, s.Sum1, s.Normed1, s.Mean1, s.InvStd1);
            FeedForward(layer, s.Normed1, s);
            Add(s.Normed1, s.Dropped2, s.Sum2);
            LayerNorm(layer.Norm2, s.Sum2, output, s.Mean2, s.InvStd2);
        }
    }

    // dropout2(linear2(dropout(act(linear1(x))))), the activation in linear1's epilogue as the eager layer runs it.
    static void FeedForward(NN.TransformerEncoderLayer layer, Tensor x, EncoderLayerState s)
    {
        bool gelu = layer.Activation == "gelu";
        LinearGradient.ForwardInto(x, layer.Linear1.Weight, layer.Linear1.Bias, gelu ? GemmActivation.Gelu : GemmActivation.Relu, s.Hidden,
            gelu ? s.PreActivation : null);
        s.MaskedHidden = Dropout(layer.Dropout, s.Hidden, s.DroppedHidden, s.MaskHidden);
        LinearGradient.ForwardInto(s.DroppedHidden, layer.Linear2.Weight, layer.Linear2.Bias, GemmActivation.None, s.Projected2);
        s.Masked2 = Dropout(layer.Dropout2, s.Projected2, s.Dropped2, s.Mask2);
    }

    /// <summary>
    /// The gradients of <see cref="TransformerEncoderLayer"/> for <paramref name="gradOutput"/>: the input's and every
    /// parameter's, in the order of <see cref="NN.TransformerEncoderLayer"/>'s parameters (self-attention, linear1,
    /// linear2, norm1, norm2); each non-null parameter target is overwritten, and the input's gradient is added to
    /// <paramref name="gradInput"/> when <paramref name="accumulate"/> is set.
    /// </summary>
    public static void TransformerEncoderLayerBackward(EncoderLayerPlan plan, NN.TransformerEncoderLayer layer, EncoderLayerState s,
        Tensor gradOutput, Tensor input, Tensor? gradInput, bool accumulate,
        Tensor? gradInProjWeight, Tensor? gradInProjBias, Tensor? gradOutProjWeight, Tensor? gradOutProjBias,
        Tensor? gradLinear1Weight, Tensor? gradLinear1Bias, Tensor? gradLinear2Weight, Tensor? gradLinear2Bias,
        Tensor? gradNorm1Weight, Tensor? gradNorm1Bias, Tensor? gradNorm2Weight, Tensor? gradNorm2Bias)
    {
        var attention = plan.Attention;
        if (layer.NormFirst)
        {
            // out = sum1 + ff(norm2(sum1)), sum1 = x + dropout1(attn(norm1(x))).
            FeedForwardBackward(layer, s, gradOutput, s.Normed2, s.Grad2, gradLinear1Weight, gradLinear1Bias, gradLinear2Weight, gradLinear2Bias);
            LayerNormBackward(layer.Norm2, s.Grad2, s.Sum1, s.Mean2, s.InvStd2, s.Grad1, gradNorm2Weight, gradNorm2Bias);
            Add(gradOutput, s.Grad1, s.Grad1);
            DropoutBackward(s.Masked1, s.Grad1, s.Mask1, s.Grad3);
            SelfAttentionBackward(attention, layer.SelfAttn, s.Attention, s.Grad3, s.Normed1, s.Grad2, false,
                gradInProjWeight, gradInProjBias, gradOutProjWeight, gradOutProjBias);
            if (gradInput is null && gradNorm1Weight is null && gradNorm1Bias is null) return;
            LayerNormBackward(layer.Norm1, s.Grad2, input, s.Mean1, s.InvStd1, gradInput is null ? null : s.Grad3, gradNorm1Weight, gradNorm1Bias);
            if (gradInput is null) return;
            // The residual's gradient reaches x before the norm's, as in eager autograd.
            if (accumulate) AddInPlace(gradInput, s.Grad1);
            else Copy(s.Grad1, gradInput);
            AddInPlace(gradInput, s.Grad3);
        }
        else
        {
            // out = norm2(h + ff(h)), h = norm1(x + dropout1(attn(x))).
            LayerNormBackward(layer.Norm2, gradOutput, s.Sum2, s.Mean2, s.InvStd2, s.Grad1, gradNorm2Weight, gradNorm2Bias);
            FeedForwardBackward(layer, s, s.Grad1, s.Normed1, s.Grad2, gradLinear1Weight, gradLinear1Bias, gradLinear2Weight, gradLinear2Bias);
            Add(s.Grad1, s.Grad2, s.Grad2);
            LayerNormBackward(layer.Norm1, s.Grad2, s.Sum1, s.Mean1, s.InvStd1, s.Grad1, gradNorm1Weight, gradNorm1Bias);
            DropoutBackward(s.Masked1, s.Grad1, s.Mask1, s.Grad3);
            // The residual's gradient reaches x before the attention's, as in eager autograd.
            if (gradInput is not null)
            {
                if (accumulate) AddInPlace(gradInput, s.Grad1);
                else Copy(s.Grad1, gradInput);
            }
            SelfAttentionBackward(attention, layer.SelfAttn, s.Attention, s.Grad3, input, gradInput, true,
                gradInProjWeight, gradInProjBias, gradOutProjWeight, gradOutProjBias);
        }
    }

    static void FeedForwardBackward(NN.TransformerEncoderLayer layer, EncoderLayerState s, Tensor gradOutput, Tensor input, Tensor gradInput,
        Tensor? gradLinear1Weight, Tensor? gradLinear1Bias, Tensor? gradLinear2Weight, Tensor? gradLinear2Bias)
    {
        DropoutBackward(s.Masked2, gradOutput, s.Mask2, s.GradProjected2);
        LinearGradient.BackwardInto(s.GradProjected2, s.DroppedHidden, layer.Linear2.Weight, s.GradHidden, gradLinear2Weight, gradLinear2Bias);
        if (layer.Activation == "gelu")
        {
            DropoutBackward(s.MaskedHidden, s.GradHidden, s.MaskHidden, s.GradHidden);
            GeluBackward(s.GradHidden, s.PreActivation!, s.GradHidden);
        }
        else if (s.MaskedHidden)
        {
            // Dropout's product and ReLU's mask in one pass, the same floats as the two passes.
            var hidden = Span(s.GradHidden);
            DropoutReluGradient.Backward(hidden, s.MaskHidden, Span(s.Hidden), hidden);
        }
        else ReluBackward(s.GradHidden, s.Hidden, s.GradHidden);
        LinearGradient.BackwardInto(s.GradHidden, input, layer.Linear1.Weight, gradInput, gradLinear1Weight, gradLinear1Bias);
    }

    /// <summary>The output shape of <paramref name="layer"/>'s self-attention on an input of <paramref name="input"/> (its input's), checked as eager mode checks it.</summary>
    /// <remarks>
    /// With <paramref name="causalMask"/>, the shape of the mask passed with <c>isCausal: true</c>, the attention is
    /// causal; as in eager mode (PyTorch's hint), only the mask's rank is checked and its values are not read.
    /// </remarks>
    public static SelfAttentionPlan PlanSelfAttention(int[] input, MultiheadAttention layer, int[]? causalMask = null) => new(input, layer, causalMask);

    /// <summary>The shapes of <paramref name="layer"/>'s steps on an input of <paramref name="input"/>, checked as eager mode checks them.</summary>
    /// <remarks>With <paramref name="causalMask"/>, the self-attention is causal (<see cref="PlanSelfAttention"/>).</remarks>
    public static EncoderLayerPlan PlanTransformerEncoderLayer(int[] input, NN.TransformerEncoderLayer layer, int[]? causalMask = null) =>
        new(input, layer, causalMask);

    // The input as the [L·N, E] rows the projections read: itself when sequence-first, else a copy in sequence-first
    // order (eager mode's Reshape of the transposed view).
    static Tensor SeqFirst(SelfAttentionPlan plan, Tensor input, Tensor? seqFirst)
    {
        if (!plan.BatchFirst) return Rows(input, plan);
        SwapLeadingDims(input, plan.Batch, plan.Length, plan.Embed, seqFirst!);
        return seqFirst!;
    }

    static Tensor Rows(Tensor t, SelfAttentionPlan plan) => t.Rank == 2 ? t : View(t, new[] { plan.Length * plan.Batch, plan.Embed });

    // destination [b, a, c] = source [a, b, c], both contiguous.
    static void SwapLeadingDims(Tensor source, int a, int b, int c, Tensor destination)
    {
        var from = source.FloatData;
        var to = destination.FloatData;
        for (int i = 0; i < a; i++)
            for (int j = 0; j < b; j++)
                from.AsSpan(source.Offset + (i * b + j) * c, c).CopyTo(to.AsSpan(destination.Offset + (j * a + i) * c, c));
    }

    // The packed projection's query, key and value parts (InProjWeight.Chunk(3, 0), as eager mode splits it): views.
    static (Tensor, Tensor, Tensor) Thirds(Tensor packed)
    {
        var parts = packed.Detach().Chunk(3, 0);
        return (parts[0], parts[1], parts[2]);
    }
}

/// <summary>A self-attention's sizes for one input shape, checked as <see cref="MultiheadAttention.Forward"/> checks them; made once per plan.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class SelfAttentionPlan
{
    const string Op = "MultiheadAttention";

    internal SelfAttentionPlan(int[] input, MultiheadAttention layer, int[]? causalMask)
    {
        if (layer.BiasK is not null || layer.AddZeroAttn)
            throw new CompiledGraphBreakException($"a MultiheadAttention with {(layer.BiasK is not null ? "addBiasKv" : "addZeroAttn")} (its extra key and value positions are not compiled; input {Rules.Format(input)})");
        string shapes = $"query {Rules.Format(input)}, key {Rules.Format(input)}, value {Rules.Format(input)}";
        if (input.Length is not (2 or 3))
            throw new ShapeException(Op, $"query should be unbatched 2D or batched 3D tensor but received {input.Length}-D query tensor ({shapes})");
        bool batched = input.Length == 3;
        BatchFirst = batched && layer.BatchFirst;
        Length = BatchFirst ? input[1] : input[0];
        Batch = !batched ? 1 : BatchFirst ? input[0] : input[1];
        Embed = layer.EmbedDim;
        if (input[^1] != Embed)
            throw new ShapeException(Op, $"was expecting embedding dimension of {Embed}, but got {input[^1]} ({shapes})");
        // The key and value are the query: kdim and vdim must be E, as the eager layer checks.
        if (layer.KDim != Embed)
            throw new ShapeException(Op, $"expecting key with kdim={layer.KDim} features, but got {input[^1]} ({shapes})");
        if (layer.VDim != Embed)
            throw new ShapeException(Op, $"expecting value with vdim={layer.VDim} features, but got {input[^1]} ({shapes})");
        if (causalMask is not null && causalMask.Length is not (2 or 3))
            throw new ShapeException(Op, $"For {(batched ? "batched (3-D)" : "unbatched (2-D)")} `query`, expected `attn_mask` to be `None`, 2-D or 3-D but found {causalMask.Length}-D tensor instead ({shapes})");
        Causal = causalMask is not null;
        Heads = layer.NumHeads;
        HeadDim = layer.HeadDim;
        Scale = (float)(1.0 / Math.Sqrt(HeadDim));
        OutputSizes = input;
    }

    internal int Length { get; }
    internal int Batch { get; }
    internal int Embed { get; }
    internal int Heads { get; }
    internal int HeadDim { get; }
    internal bool BatchFirst { get; }

    /// <summary>Whether query i attends to keys 0..i only.</summary>
    internal bool Causal { get; }

    /// <summary>The masks' shapes when the attention is given masks (<see cref="GraphOps.PlanMaskedSelfAttention"/>), else null.</summary>
    internal AttentionMasksPlan? Masks { get; set; }

    /// <summary>The scores' factor, 1/sqrt(headDim) rounded to float as the eager product by a double rounds it.</summary>
    internal float Scale { get; }

    /// <summary>The attention's output shape (its input's).</summary>
    public int[] OutputSizes { get; }
}

/// <summary>The intermediates a self-attention step keeps for its backward, and its gradient scratch: one per buffer set.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class SelfAttentionState
{
    /// <summary>Allocates the state for <paramref name="plan"/>'s shapes.</summary>
    public SelfAttentionState(SelfAttentionPlan plan)
    {
        int rows = plan.Length * plan.Batch, heads = plan.Heads * plan.Batch;
        int[] projected = { rows, plan.Embed }, square = { heads, plan.Length, plan.Length };
        Query = New(projected);
        Key = New(projected);
        Value = New(projected);
        Weights = New(square);
        Dropped = New(square);
        Mask = new float[heads * plan.Length * plan.Length];
        Attended = New(new[] { heads, plan.Length, plan.HeadDim });
        Merged = New(projected);
        GradMerged = New(projected);
        GradWeights = New(square);
        GradScores = New(square);
        GradQuery = New(projected);
        GradKey = New(projected);
        GradValue = New(projected);
        GradPartial = New(projected);
        if (plan.BatchFirst)
        {
            SeqFirst = New(projected);
            Projected = New(projected);
            GradProjected = New(projected);
            GradSeqFirst = New(projected);
        }
        if (plan.Masks is not null) Masks = new AttentionMasksState(plan.Masks);
    }

    static Tensor New(int[] shape) => Tensor.Uninitialized(DType.Float32, shape);

    internal Tensor? SeqFirst { get; }
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
    internal Tensor GradPartial { get; }
    internal Tensor? GradSeqFirst { get; }

    /// <summary>The additive mask of the call in flight and its fully masked queries, when the attention is given masks.</summary>
    internal AttentionMasksState? Masks { get; }
}

/// <summary>An encoder layer's shapes for one input shape, checked as its eager ops check them; made once per plan.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class EncoderLayerPlan
{
    internal EncoderLayerPlan(int[] input, NN.TransformerEncoderLayer layer, int[]? causalMask)
    {
        Attention = new SelfAttentionPlan(input, layer.SelfAttn, causalMask);
        Rows = F.LayerNormRows(input, layer.Norm1.NormalizedShape, layer.Norm1.Weight, layer.Norm1.Bias);
        F.LayerNormRows(input, layer.Norm2.NormalizedShape, layer.Norm2.Weight, layer.Norm2.Bias);
        Hidden = F.LinearShape(input, layer.Linear1.Weight.Sizes, layer.Linear1.Bias?.Sizes);
        OutputSizes = F.LinearShape(Hidden, layer.Linear2.Weight.Sizes, layer.Linear2.Bias?.Sizes);
    }

    internal SelfAttentionPlan Attention { get; }

    /// <summary>The rows the layer norms normalize (the length of their saved statistics).</summary>
    internal int Rows { get; }

    /// <summary>The feed-forward block's hidden shape.</summary>
    internal int[] Hidden { get; }

    /// <summary>The layer's output shape (its input's).</summary>
    public int[] OutputSizes { get; }
}

/// <summary>The intermediates an encoder-layer step keeps for its backward, and its gradient scratch: one per buffer set.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class EncoderLayerState
{
    /// <summary>Allocates the state for <paramref name="plan"/>'s shapes.</summary>
    public EncoderLayerState(EncoderLayerPlan plan)
    {
        var model = plan.OutputSizes;
        Attention = new SelfAttentionState(plan.Attention);
        Attended = New(model);
        Dropped1 = New(model);
        Mask1 = new float[Attended.Count];
        Sum1 = New(model);
        Normed1 = New(model);
        Normed2 = New(model);
        Sum2 = New(model);
        Mean1 = new float[plan.Rows];
        InvStd1 = new float[plan.Rows];
        Mean2 = new float[plan.Rows];
        InvStd2 = new float[plan.Rows];
        Hidden = New(plan.Hidden);
        PreActivation = New(plan.Hidden);
        DroppedHidden = New(plan.Hidden);
        MaskHidden = new float[Hidden.Count];
        Projected2 = New(model);
        Dropped2 = New(model);
        Mask2 = new float[Projected2.Count];
        Grad1 = New(model);
        Grad2 = New(model);
        Grad3 = New(model);
        GradHidden = New(plan.Hidden);
        GradProjected2 = New(model);
    }

    static Tensor New(int[] shape) => Tensor.Uninitialized(DType.Float32, shape);

    internal SelfAttentionState Attention { get; }
    internal Tensor Attended { get; }
    internal Tensor Dropped1 { get; }
    internal float[] Mask1 { get; }
    internal bool Masked1 { get; set; }
    internal Tensor Sum1 { get; }
    internal Tensor Normed1 { get; }
    internal Tensor Normed2 { get; }
    internal Tensor Sum2 { get; }
    internal float[] Mean1 { get; }
    internal float[] InvStd1 { get; }
    internal float[] Mean2 { get; }
    internal float[] InvStd2 { get; }
    internal Tensor Hidden { get; }
    internal Tensor PreActivation { get; }
    internal Tensor DroppedHidden { get; }
    internal float[] MaskHidden { get; }
    internal bool MaskedHidden { get; set; }
    internal Tensor Projected2 { get; }
    internal Tensor Dropped2 { get; }
    internal float[] Mask2 { get; }
    internal bool Masked2 { get; set; }
    internal Tensor Grad1 { get; }
    internal Tensor Grad2 { get; }
    internal Tensor Grad3 { get; }
    internal Tensor GradHidden { get; }
    internal Tensor GradProjected2 { get; }
}
