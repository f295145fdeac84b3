using ShapeSafe.Gradients;
using ShapeSafe.Kernels.Gemm;
using ShapeSafe.NN;

namespace ShapeSafe.CompiledGraphs;

// The self-attention's in-projection as one product on the packed [3E, E] weight where that gives eager mode's values
// bit for bit: eager mode runs three linear layers on the weight's thirds, and a packed product's element depends
// only on its row of A, its column of B and the k blocks, which depend on k alone, never on the product's width or
// the element's tile (GemmPacked's edge tiles store with the kernels' own arithmetic). So when each third's product
// already takes the packed route, one product three times as wide gives the same floats, packs x once instead of
// three times and runs its tiles at the wide product's rate. The same holds for the weight's gradient, one product
// three times as tall. The input's gradient stays three products summed in eager autograd's order.
public static partial class GraphOps
{
    /// <summary>Whether <paramref name="plan"/>'s in-projection and its weight's gradient run as one packed product.</summary>
    internal static bool PacksInProjection(SelfAttentionPlan plan)
    {
        int rows = plan.Length * plan.Batch, e = plan.Embed;
        // Each third's product (rows x E x E forward, E x E x rows for the weight's gradient) on the packed route.
        return !GemmKernel.TakesUnpackedRoute(rows, e, e);
    }

    // query, key, value = x·Wᵀ + b for the weight's three thirds.
    internal static void InProjection(SelfAttentionPlan plan, MultiheadAttention layer, Tensor x, SelfAttentionState s)
    {
        var weight = layer.InProjWeight!;
        if (s.Packed is { } packed)
        {
            LinearGradient.ForwardInto(x, weight, layer.InProjBias, GemmActivation.None, packed);
            Unpack(packed, plan.Embed, s.Query, s.Key, s.Value);
            return;
        }
        var (wq, wk, wv) = Thirds(weight);
        var (bq, bk, bv) = layer.InProjBias is { } bias ? Thirds(bias) : (null, null, null);
        LinearGradient.ForwardInto(x, wq, bq, GemmActivation.None, s.Query);
        LinearGradient.ForwardInto(x, wk, bk, GemmActivation.None, s.Key);
        LinearGradient.ForwardInto(x, wv, bv, GemmActivation.None, s.Value);
    }

    // The in-projection's gradients: x's from the three projections in eager autograd's order (value, key, query),
    // the weight's and the bias's as one packed product and one row sum when the plan packs them.
    internal static void InProjectionBackward(SelfAttentionPlan plan, MultiheadAttention layer, SelfAttentionState s, Tensor x,
        Tensor? gradInput, bool accumulate, Tensor? gradInProjWeight, Tensor? gradInProjBias)
    {
        var (wq, wk, wv) = Thirds(layer.InProjWeight!);
        if (s.Packed is { } packed && (gradInProjWeight is not null || gradInProjBias is not null))
        {
            Pack(s.Query.Sizes[0], plan.Embed, s.GradQuery, s.GradKey, s.GradValue, packed);
            LinearGradient.BackwardInto(packed, x, layer.InProjWeight!, null, gradInProjWeight, gradInProjBias);
            if (gradInput is null) return;
            ProjectionBackward(plan, s, s.GradValue, x, wv, gradInput, accumulate, null, null);
            ProjectionBackward(plan, s, s.GradKey, x, wk, gradInput, true, null, null);
            ProjectionBackward(plan, s, s.GradQuery, x, wq, gradInput, true, null, null);
            return;
        }
        var (gwq, gwk, gwv) = gradInProjWeight is null ? (null, null, null) : Thirds(gradInProjWeight);
        var (gbq, gbk, gbv) = gradInProjBias is null ? (null, null, null) : Thirds(gradInProjBias);
        ProjectionBackward(plan, s, s.GradValue, x, wv, gradInput, accumulate, gwv, gbv);
        ProjectionBackward(plan, s, s.GradKey, x, wk, gradInput, true, gwk, gbk);
        ProjectionBackward(plan, s, s.GradQuery, x, wq, gradInput, true, gwq, gbq);
    }

    // Columns [0, E), [E, 2E) and [2E, 3E) of packed [rows, 3E] into three [rows, E].
    static void Unpack(Tensor packed, int e, Tensor first, Tensor second, Tensor third)
    {
        var from = packed.FloatData;
        int rows = packed.Sizes[0];
        for (int i = 0; i < rows; i++)
        {
            from.AsSpan(i * 3 * e, e).CopyTo(first.FloatData.AsSpan(i * e, e));
            from.AsSpan(i * 3 * e + e, e).CopyTo(second.FloatData.AsSpan(i * e, e));
            from.AsSpan(i * 3 * e + 2 * e, e).CopyTo(third.FloatData.AsSpan(i * e, e));
        }
    }

    // Three [rows, E] side by side into packed [rows, 3E].
    static void Pack(int rows, int e, Tensor first, Tensor second, Tensor third, Tensor packed)
    {
        var to = packed.FloatData;
        for (int i = 0; i < rows; i++)
        {
            first.FloatData.AsSpan(i * e, e).CopyTo(to.AsSpan(i * 3 * e, e));
            second.FloatData.AsSpan(i * e, e).CopyTo(to.AsSpan(i * 3 * e + e, e));
            third.FloatData.AsSpan(i * e, e).CopyTo(to.AsSpan(i * 3 * e + 2 * e, e));
        }
    }
}
