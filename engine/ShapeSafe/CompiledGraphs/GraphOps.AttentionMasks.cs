using System.ComponentModel;
using ShapeSafe.NN;
using ShapeSafe.Shapes;

namespace ShapeSafe.CompiledGraphs;

// The masks of a compiled self-attention, passed as Forward inputs: an attention mask ([L, S] or [N·heads, L, S]) and a
// key padding mask ([N, S], or [S] unbatched), each Bool (true: may not attend) or Float32 (added to the scores). As
// MultiheadAttention.Forward does, they are made one additive mask (a Bool mask is -inf where true and 0 elsewhere,
// and the attention mask plus the padding mask when both are given) that is added to the scaled scores; a query whose
// every key is masked gets zero weights, as scaled_dot_product_attention's safe softmax gives.
public static partial class GraphOps
{
    /// <summary>
    /// The plan of a self-attention given an attention mask of shape <paramref name="attnMask"/> and a key padding mask
    /// of shape <paramref name="keyPaddingMask"/> (either may be null), checked as <see cref="MultiheadAttention.Forward"/>
    /// checks them, with its messages.
    /// </summary>
    public static SelfAttentionPlan PlanMaskedSelfAttention(int[] input, MultiheadAttention layer, int[]? attnMask, int[]? keyPaddingMask)
    {
        var plan = new SelfAttentionPlan(input, layer, null);
        plan.Masks = new AttentionMasksPlan(plan, input, attnMask, keyPaddingMask);
        return plan;
    }

    /// <summary>The plan of an encoder layer whose self-attention is given the masks of <see cref="PlanMaskedSelfAttention"/>.</summary>
    public static EncoderLayerPlan PlanMaskedTransformerEncoderLayer(int[] input, NN.TransformerEncoderLayer layer, int[]? srcMask, int[]? srcKeyPaddingMask)
    {
        var plan = new EncoderLayerPlan(input, layer, null);
        plan.Attention.Masks = new AttentionMasksPlan(plan.Attention, input, srcMask, srcKeyPaddingMask);
        return plan;
    }

    /// <summary>
    /// <see cref="SelfAttention"/> with the masks of this call (Bool or Float32, of the plan's shapes, as the graph's
    /// guard checked), made into one additive mask in the state for the backward.
    /// </summary>
    public static void MaskedSelfAttention(SelfAttentionPlan plan, MultiheadAttention layer, Tensor input, Tensor? attnMask, Tensor? keyPaddingMask,
        Tensor output, SelfAttentionState s)
    {
        s.Masks!.Combine(plan.Masks!, attnMask, keyPaddingMask);
        SelfAttention(plan, layer, input, output, s);
    }

    /// <summary><see cref="TransformerEncoderLayer"/> with the masks of this call for its self-attention (<see cref="MaskedSelfAttention"/>).</summary>
    public static void MaskedTransformerEncoderLayer(EncoderLayerPlan plan, NN.TransformerEncoderLayer layer, Tensor input, Tensor? srcMask, Tensor? srcKeyPaddingMask,
        Tensor output, EncoderLayerState s)
    {
        s.Attention.Masks!.Combine(plan.Attention.Masks!, srcMask, srcKeyPaddingMask);
        TransformerEncoderLayer(plan, layer, input, output, s);
    }
}

/// <summary>The shapes of a self-attention's masks for one input shape, checked as <see cref="MultiheadAttention.Forward"/> checks them.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class AttentionMasksPlan
{
    const string Op = "MultiheadAttention";

    // The key and the value are the query: S = L.
    internal AttentionMasksPlan(SelfAttentionPlan attention, int[] input, int[]? attnMask, int[]? keyPaddingMask)
        : this(attention.Length, attention.Length, attention.Batch, attention.Heads, input.Length == 3,
            $"query {Rules.Format(input)}, key {Rules.Format(input)}, value {Rules.Format(input)}", attnMask, keyPaddingMask)
    {
    }

    /// <summary>The masks of an attention from <paramref name="length"/> queries to <paramref name="source"/> keys (a cross-attention's S).</summary>
    internal AttentionMasksPlan(int length, int source, int batch, int heads, bool batched, string shapes, int[]? attnMask, int[]? keyPaddingMask)
    {
        if (attnMask is null && keyPaddingMask is null)
            throw new ArgumentException("Compile: a masked attention's plan needs a mask", nameof(attnMask));
        int rows = batch * heads;
        if (keyPaddingMask is not null && batched && keyPaddingMask.Length != 2)
            throw new ShapeException(Op, $"For batched (3-D) `query`, expected `key_padding_mask` to be `None` or 2-D but found {keyPaddingMask.Length}-D tensor instead ({shapes})");
        if (attnMask is not null && attnMask.Length is not (2 or 3))
            throw new ShapeException(Op, $"For {(batched ? "batched (3-D)" : "unbatched (2-D)")} `query`, expected `attn_mask` to be `None`, 2-D or 3-D but found {attnMask.Length}-D tensor instead ({shapes})");
        if (attnMask is { Length: 2 } && (attnMask[0] != length || attnMask[1] != source))
            throw new ShapeException(Op, $"The shape of the 2D attn_mask is {Rules.Format(attnMask)}, but should be [{length}, {source}] ({shapes})");
        if (attnMask is { Length: 3 } && (attnMask[0] != rows || attnMask[1] != length || attnMask[2] != source))
            throw new ShapeException(Op, $"The shape of the 3D attn_mask is {Rules.Format(attnMask)}, but should be [{rows}, {length}, {source}] ({shapes})");
        if (keyPaddingMask is not null)
        {
            var expected = batched ? new[] { batch, source } : new[] { source };
            if (!keyPaddingMask.AsSpan().SequenceEqual(expected))
                throw new ShapeException(Op, $"expecting key_padding_mask shape of {Rules.Format(expected)}, but got {Rules.Format(keyPaddingMask)} ({shapes})");
        }
        Length = length;
        Source = source;
        Heads = heads;
        PerHead = attnMask is { Length: 3 };
        HasAttnMask = attnMask is not null;
        HasPadding = keyPaddingMask is not null;
        // The additive mask broadcasts to the scores [N·heads, L, S]: per head when the attention mask is 3-D or a
        // padding mask is given (eager mode's [N·heads, 1, S]), per query when an attention mask is given.
        MaskRows = PerHead || HasPadding ? rows : 1;
        MaskQueries = HasAttnMask ? length : 1;
        ScoreRows = rows * length;
    }

    internal int Length { get; }

    /// <summary>The keys' count, S (the query's L in a self-attention).</summary>
    internal int Source { get; }

    internal int Heads { get; }
    internal bool PerHead { get; }
    internal bool HasAttnMask { get; }
    internal bool HasPadding { get; }

    /// <summary>The additive mask's leading dim: N·heads or 1.</summary>
    internal int MaskRows { get; }

    /// <summary>The additive mask's query dim: L or 1.</summary>
    internal int MaskQueries { get; }

    /// <summary>The rows of the scores, N·heads·L.</summary>
    internal int ScoreRows { get; }
}

/// <summary>A masked self-attention's additive mask and the queries it masks entirely, for one call in flight: one per buffer set.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class AttentionMasksState
{
    internal AttentionMasksState(AttentionMasksPlan plan)
    {
        Additive = new float[plan.MaskRows * plan.MaskQueries * plan.Source];
        Dead = new bool[plan.ScoreRows];
    }

    /// <summary>[MaskRows, MaskQueries, S]: what is added to the scores.</summary>
    internal float[] Additive { get; }

    /// <summary>Per row of the scores: whether every key of that query is masked (its weights are zero).</summary>
    internal bool[] Dead { get; }

    internal bool AnyDead { get; private set; }

    /// <summary>
    /// The additive mask of this call, as eager mode makes it: a Bool mask is 0 or -inf, a Float32 one is read as it
    /// is, and with both masks the attention mask's value plus the padding mask's (one float sum, eager's order).
    /// </summary>
    internal void Combine(AttentionMasksPlan plan, Tensor? attnMask, Tensor? keyPaddingMask)
    {
        if (plan.HasAttnMask != attnMask is not null || plan.HasPadding != keyPaddingMask is not null)
            throw new ArgumentException("Compile: the masks of the call are not those the attention's plan was made for");
        int length = plan.Length, source = plan.Source, heads = plan.Heads;
        for (int b = 0; b < plan.MaskRows; b++)
            for (int i = 0; i < plan.MaskQueries; i++)
            {
                int row = (b * plan.MaskQueries + i) * source;
                for (int j = 0; j < source; j++)
                {
                    float value;
                    if (attnMask is not null)
                    {
                        int at = ((plan.PerHead ? b * length : 0) + i) * source + j;
                        value = AdditiveValue(attnMask, at);
                        if (keyPaddingMask is not null) value += AdditiveValue(keyPaddingMask, b / heads * source + j);
                    }
                    else
                    {
                        value = AdditiveValue(keyPaddingMask!, b / heads * source + j);
                    }
                    Additive[row + j] = value;
                }
            }
    }

    // PyTorch's _canonical_mask for one element: -inf where a Bool mask is true, 0 where false; a float mask's value.
    static float AdditiveValue(Tensor mask, int index) => mask.DType == DType.Bool
        ? (mask.BoolData[mask.Offset + index] ? float.NegativeInfinity : 0f)
        : mask.FloatData[mask.Offset + index];

    /// <summary>
    /// Adds the mask to the scaled scores [N·heads, L, S] and finds the queries whose every score is then -inf
    /// (eager mode's <c>scores.Eq(-inf).All(-1)</c>).
    /// </summary>
    internal void Apply(AttentionMasksPlan plan, Span<float> scores)
    {
        int length = plan.Length, source = plan.Source, rows = length == 0 ? 0 : plan.ScoreRows / length;
        AnyDead = false;
        for (int b = 0; b < rows; b++)
            for (int i = 0; i < length; i++)
            {
                var row = scores.Slice((b * length + i) * source, source);
                var mask = Additive.AsSpan(((plan.MaskRows == 1 ? 0 : b) * plan.MaskQueries + (plan.MaskQueries == 1 ? 0 : i)) * source, source);
                bool dead = source > 0;
                for (int j = 0; j < source; j++)
                {
                    row[j] += mask[j];
                    dead &= float.IsNegativeInfinity(row[j]);
                }
                Dead[b * length + i] = dead;
                AnyDead |= dead;
            }
    }

    /// <summary>Zeros the rows of the fully masked queries: their weights after the softmax, and their scores' gradient.</summary>
    internal void ClearDeadRows(Span<float> rows, int length)
    {
        if (!AnyDead) return;
        for (int r = 0; r < Dead.Length; r++)
            if (Dead[r]) rows.Slice(r * length, length).Clear();
    }
}

/// <summary>
/// Thrown while a compiled graph's plan is made for a configuration the graph does not compile (a
/// <see cref="MultiheadAttention"/> with <c>addBiasKv</c> or <c>addZeroAttn</c>): a graph break found when the graph
/// is bound, after which the compiled module runs its eager <c>Forward</c> (see <see cref="CompiledModule{TModule}.GraphBreak"/>).
/// </summary>
public sealed class CompiledGraphBreakException : NotSupportedException
{
    /// <summary>A graph break for <paramref name="message"/>, which names the layer and why.</summary>
    public CompiledGraphBreakException(string message) : base(message) { }
}
