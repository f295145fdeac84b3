using System.Numerics;

namespace ShapeSafe.Kernels.Reduction;

/// <summary>
/// Max/min along a dim with the index of the winner, as ATen's CPU kernel: a later element replaces the best only
/// when strictly better, so ties keep the FIRST occurrence, and the first NaN wins and stays. Written by hand:
/// TensorPrimitives' IndexOfMax orders -0 below +0, which PyTorch does not.
/// </summary>
internal static class ExtremumKernel
{
    /// <summary>Fills <paramref name="values"/> (may be null for Argmax) and <paramref name="indices"/> per output element.</summary>
    public static void Reduce<T>(in ReductionPlan plan, bool max, T[]? values, long[] indices) where T : INumber<T>
    {
        var src = ElementwiseData<T>(plan.Source);
        int outer = plan.Outer, r = plan.Reduced, inner = plan.Inner;
        if (inner == 1)
        {
            for (int o = 0; o < outer; o++)
            {
                var (best, index) = Row(src.AsSpan(plan.Start + o * r, r), max);
                if (values is not null) values[o] = best;
                indices[o] = index;
            }
            return;
        }

        // Down columns: walk the reduced rows in memory order, keeping a running best per column.
        var best2 = values ?? new T[outer * inner];
        for (int o = 0; o < outer; o++)
        {
            int rowStart = plan.Start + o * r * inner, at = o * inner;
            src.AsSpan(rowStart, inner).CopyTo(best2.AsSpan(at, inner));
            indices.AsSpan(at, inner).Clear();
            for (int k = 1; k < r; k++)
            {
                int p = rowStart + k * inner;
                for (int i = 0; i < inner; i++)
                {
                    T b = best2[at + i], v = src[p + i];
                    if (!T.IsNaN(b) && Better(v, b, max))
                    {
                        best2[at + i] = v;
                        indices[at + i] = k;
                    }
                }
            }
        }
    }

    static (T Value, long Index) Row<T>(ReadOnlySpan<T> row, bool max) where T : INumber<T>
    {
        T best = row[0];
        long index = 0;
        if (T.IsNaN(best)) return (best, 0);
        for (int k = 1; k < row.Length; k++)
        {
            T v = row[k];
            if (Better(v, best, max))
            {
                best = v;
                index = k;
                if (T.IsNaN(v)) break;
            }
        }
        return (best, index);
    }

    /// <summary><c>!(v &lt;= best)</c> for max, <c>!(v &gt;= best)</c> for min: strictly better, or NaN.</summary>
    static bool Better<T>(T v, T best, bool max) where T : INumber<T> => max ? !(v <= best) : !(v >= best);

    static T[] ElementwiseData<T>(Tensor t) => Elementwise.ElementwiseKernel.Data<T>(t);
}
