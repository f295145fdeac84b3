using System.Numerics;

namespace ShapeSafe.Kernels.Reduction;

/// <summary>
/// <c>any</c> and <c>all</c> over a <see cref="ReductionPlan"/>: an element counts as true when it is not zero (NaN
/// is true, -0 is false, as in C and PyTorch). Each output is 1 or 0; an empty reduction gives false for any and
/// true for all. Written by hand: TensorPrimitives has no short-circuiting test, and a row stops at its first
/// deciding element.
/// </summary>
internal static class LogicalReductionKernel
{
    public static void Reduce<T>(in ReductionPlan plan, bool all, T[] destination) where T : INumber<T>
    {
        var src = Elementwise.ElementwiseKernel.Data<T>(plan.Source);
        int outer = plan.Outer, r = plan.Reduced, inner = plan.Inner;
        for (int o = 0; o < outer; o++)
            for (int i = 0; i < inner; i++)
            {
                // any: true at the first non-zero; all: false at the first zero.
                bool result = all;
                int p = plan.Start + o * r * inner + i;
                for (int k = 0; k < r; k++, p += inner)
                {
                    if ((src[p] != T.Zero) == all) continue;
                    result = !all;
                    break;
                }
                destination[o * inner + i] = result ? T.One : T.Zero;
            }
    }
}
