using System.Buffers;
using System.Numerics;
using System.Numerics.Tensors;

namespace ShapeSafe.Kernels.Reduction;

/// <summary>
/// Sums over a <see cref="ReductionPlan"/>. Float sums are pairwise over blocks that TensorPrimitives sums with
/// vector accumulators, so the error grows with log(n) as in PyTorch's cascade sum, not with n as a running
/// total would. Int64 sums are exact (wrapping on overflow).
/// </summary>
internal static class SumKernel
{
    /// <summary>Blocks this short are summed directly by TensorPrimitives (a few adds per vector lane).</summary>
    const int Block = 128;

    /// <summary>Rows this few are accumulated directly when summing down columns.</summary>
    const int RowBlock = 8;

    public static void Sum(in ReductionPlan plan, float[] destination) => FloatingSum(plan, destination);

    /// <summary>Float64 sums, pairwise as the Float32 ones.</summary>
    public static void Sum(in ReductionPlan plan, double[] destination) => FloatingSum(plan, destination);

    static void FloatingSum<T>(in ReductionPlan plan, T[] destination) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var src = Elementwise.ElementwiseKernel.Data<T>(plan.Source);
        int outer = plan.Outer, r = plan.Reduced, inner = plan.Inner;
        if (r == 0)
        {
            Array.Clear(destination, 0, outer * inner);
            return;
        }
        for (int o = 0; o < outer; o++)
        {
            int rowStart = plan.Start + o * r * inner;
            if (inner == 1)
                destination[o] = PairwiseSum(src.AsSpan(rowStart, r));
            else
                ColumnSum(src, rowStart, r, inner, destination.AsSpan(o * inner, inner));
        }
    }

    public static void Sum(in ReductionPlan plan, long[] destination)
    {
        var src = plan.Source.LongData;
        int outer = plan.Outer, r = plan.Reduced, inner = plan.Inner;
        Array.Clear(destination, 0, outer * inner);
        for (int o = 0; o < outer; o++)
        {
            int rowStart = plan.Start + o * r * inner;
            if (inner == 1)
            {
                destination[o] = TensorPrimitives.Sum<long>(src.AsSpan(rowStart, r));
                continue;
            }
            var dst = destination.AsSpan(o * inner, inner);
            for (int i = 0; i < r; i++) TensorPrimitives.Add(dst, src.AsSpan(rowStart + i * inner, inner), dst);
        }
    }

    /// <summary>Pairwise (cascade) sum of a contiguous span.</summary>
    public static float PairwiseSum(ReadOnlySpan<float> x) => PairwiseSum<float>(x);

    static T PairwiseSum<T>(ReadOnlySpan<T> x) where T : IFloatingPointIeee754<T>
    {
        if (x.Length <= Block) return TensorPrimitives.Sum(x);
        // Split on a block boundary so every leaf but the last is a full block.
        int half = (x.Length / Block + 1) / 2 * Block;
        return PairwiseSum(x[..half]) + PairwiseSum(x[half..]);
    }

    /// <summary>Sums <paramref name="rows"/> rows of length <c>destination.Length</c>, pairwise across rows.</summary>
    static void ColumnSum<T>(T[] src, int start, int rows, int width, Span<T> destination) where T : IFloatingPointIeee754<T>
    {
        if (rows <= RowBlock)
        {
            src.AsSpan(start, width).CopyTo(destination);
            for (int i = 1; i < rows; i++) TensorPrimitives.Add(destination, src.AsSpan(start + i * width, width), destination);
            return;
        }
        int half = rows / 2;
        ColumnSum(src, start, half, width, destination);
        var buffer = ArrayPool<T>.Shared.Rent(width);
        try
        {
            var second = buffer.AsSpan(0, width);
            ColumnSum(src, start + half * width, rows - half, width, second);
            TensorPrimitives.Add(destination, second, destination);
        }
        finally
        {
            ArrayPool<T>.Shared.Return(buffer);
        }
    }
}
