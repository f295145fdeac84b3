using ShapeSafe.Tracing;

namespace ShapeSafe.NN;

// Scaled dot-product attention, composed of differentiable ops (matmul, where, softmax, dropout), so autograd needs
// no backward of its own.
public static partial class F
{
    const string Sdpa = "ScaledDotProductAttention";

    /// <summary>
    /// <c>F.scaled_dot_product_attention</c>: <c>softmax(query·keyᵀ·scale + mask)·value</c> with query [..., L, E], key
    /// [..., S, E] and value [..., S, Ev], giving [..., L, Ev]; the batch dims of the three broadcast together.
    /// </summary>
    /// <param name="query">The queries, [..., L, E].</param>
    /// <param name="key">The keys, [..., S, E].</param>
    /// <param name="value">The values, [..., S, Ev].</param>
    /// <param name="attnMask">
    /// A mask broadcastable to the scores [..., L, S]: Bool, where <c>true</c> means the query may attend to the key
    /// (PyTorch's convention for this function, the opposite of <see cref="MultiheadAttention"/>'s), or of the query's
    /// dtype, added to the scores (<c>-inf</c> forbids).
    /// </param>
    /// <param name="dropoutP">
    /// The dropout probability applied to the attention weights, always (the function has no training mode: pass 0 in
    /// evaluation, as PyTorch's callers do). The mask is drawn from the default generator as <see cref="Dropout"/> draws it.
    /// </param>
    /// <param name="isCausal">
    /// Whether query i may attend only to keys 0..i: the mask <c>tril(ones(L, S))</c>, aligned to the top-left corner
    /// as PyTorch's. Cannot be combined with <paramref name="attnMask"/>.
    /// </param>
    /// <param name="scale">The factor on the scores; <c>1 / sqrt(E)</c> when null.</param>
    /// <returns>The attended values, [..., L, Ev], in the query's dtype.</returns>
    /// <remarks>
    /// A query whose every key is masked (every score <c>-inf</c>) gets zero weights, so its output row and its
    /// gradients are zero, as PyTorch's CPU kernels give (not the NaN a plain softmax gives). Float32 and Float64;
    /// the softmax of Float64 is computed in double. Records the matmul, where, softmax and dropout nodes it is made of.
    /// </remarks>
    /// <exception cref="ShapeException">The shapes do not fit: ranks below 2, E or S differ, batch dims or the mask do not broadcast.</exception>
    /// <exception cref="ArgumentException">The dtypes differ or are not floating, the mask is neither Bool nor the query's dtype, or a mask is given with <paramref name="isCausal"/>.</exception>
    [ShapeContract("ScaledDotProductAttention")]
    public static Tensor ScaledDotProductAttention([Shape("..., L, E")] Tensor query, [Shape("..., S, E")] Tensor key, [Shape("..., S, Ev")] Tensor value,
        Tensor? attnMask = null, double dropoutP = 0.0, bool isCausal = false, double? scale = null)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(value);
        if (OpTrace.Recording)
            return OpTrace.Run(Sdpa, [query, key, value, attnMask], () => ScaledDotProductAttention(query, key, value, attnMask, dropoutP, isCausal, scale),
                ("dropoutP", dropoutP), ("isCausal", isCausal), ("scale", scale ?? 1.0 / Math.Sqrt(query.Rank == 0 ? 1 : query.Sizes[^1])));

        Rules.ScaledDotProductAttention(query.Sizes, key.Sizes, value.Sizes, attnMask?.Sizes, Sdpa);
        string shapes = $"query {Rules.Format(query.Sizes)}, key {Rules.Format(key.Sizes)}, value {Rules.Format(value.Sizes)}";
        if (query.DType != key.DType || query.DType != value.DType)
            throw new ArgumentException($"{Sdpa}: Expected query, key, and value to have the same dtype, but got query.dtype: {query.DType} key.dtype: {key.DType} and value.dtype: {value.DType} instead ({shapes})", nameof(key));
        if (query.DType is not (DType.Float32 or DType.Float64))
            throw new ArgumentException($"{Sdpa}: expected Float32 or Float64 query, key and value, got {query.DType} ({shapes})", nameof(query));
        if (attnMask is not null && attnMask.DType != DType.Bool && attnMask.DType != query.DType)
            throw new ArgumentException($"{Sdpa}: Expected attn_mask dtype to be bool or float or to match query dtype, but got attn_mask.dtype: {attnMask.DType} and query.dtype: {query.DType} instead ({shapes}, attn_mask {Rules.Format(attnMask.Sizes)})", nameof(attnMask));
        if (attnMask is not null && isCausal)
            throw new ArgumentException($"{Sdpa}: Explicit attn_mask should not be set when is_causal=True ({shapes}, attn_mask {Rules.Format(attnMask.Sizes)})", nameof(attnMask));
        CheckProbability(Sdpa, dropoutP);

        int targetLength = query.Sizes[^2], sourceLength = key.Sizes[^2];
        double factor = scale ?? 1.0 / Math.Sqrt(query.Sizes[^1]);
        var scores = query.Matmul(key.Transpose(-2, -1));                          // [..., L, S]
        // Under autocast the product is BFloat16: the softmax runs in Float32, as ATen's lower-precision softmax accumulates.
        if (scores.DType == DType.BFloat16) scores = scores.ToDType(DType.Float32);
        scores = scores * factor;

        bool masked = attnMask is not null || isCausal;
        if (isCausal)
            scores = Tensor.Where(CausalAllowed(targetLength, sourceLength), scores, double.NegativeInfinity);
        else if (attnMask is { DType: DType.Bool })
            scores = Tensor.Where(attnMask, scores, double.NegativeInfinity);
        else if (attnMask is not null)
            scores = scores + attnMask;

        // Rows whose every key is masked: zero weights (PyTorch's safe softmax). Their scores are replaced by zeros
        // before the softmax, so neither the softmax nor its backward sees -inf - (-inf).
        Tensor? dead = null;
        if (masked && sourceLength > 0 && !isCausal)
        {
            var rows = scores.Eq(double.NegativeInfinity).All(-1, keepDim: true);
            if (rows.Any().ItemBool())
            {
                dead = rows;
                scores = scores.MaskedFill(rows, 0.0);
            }
        }
        var weights = LastDimSoftmax(scores);
        if (dead is not null) weights = weights.MaskedFill(dead, 0.0);
        if (dropoutP > 0) weights = Dropout(weights, dropoutP, training: true);
        return weights.Matmul(value);
    }

    /// <summary>[L, S], true where key j ≤ query i may be attended to (<c>tril(ones(L, S))</c>).</summary>
    static Tensor CausalAllowed(int targetLength, int sourceLength) =>
        Tensor.Arange((long)sourceLength).Unsqueeze(0).Le(Tensor.Arange((long)targetLength).Unsqueeze(1));

    /// <summary>
    /// Softmax over the last dim: the Float32 kernel, or for Float64 <c>exp(x - max) / Σ exp(x - max)</c> composed in
    /// double with the row max held constant (the softmax does not depend on it, so neither does its gradient).
    /// </summary>
    static Tensor LastDimSoftmax(Tensor scores)
    {
        if (scores.DType == DType.Float32) return scores.Softmax(-1);
        int length = scores.Sizes[^1];
        if (scores.NumEl == 0) return scores * 1.0;
        var x = scores.Detach().Contiguous();
        var data = x.DoubleData;
        int rows = (int)(x.NumEl / length);
        var max = new double[rows];
        for (int r = 0; r < rows; r++)
        {
            double m = double.NegativeInfinity;
            var row = data.AsSpan(x.Offset + r * length, length);
            foreach (var v in row) m = Math.Max(m, v);
            max[r] = double.IsNegativeInfinity(m) ? 0 : m;
        }
        var maxShape = (int[])scores.Sizes.Clone();
        maxShape[^1] = 1;
        var exp = (scores - Tensor.FromArray(max, maxShape)).Exp();
        return exp / exp.Sum(-1, keepDim: true);
    }
}
