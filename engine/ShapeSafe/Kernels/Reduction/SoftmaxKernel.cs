using System.Buffers;
using System.Numerics.Tensors;

namespace ShapeSafe.Kernels.Reduction;

/// <summary>
/// Softmax and log-softmax along one dim of a contiguous <c>[outer, dim, inner]</c> block, stable as ATen's: the
/// max is subtracted before exp, and log-softmax is <c>x - (max + log Σ exp(x - max))</c>, so [1000, 0] gives
/// [0, -1000]. A row of -inf gives NaN, as in PyTorch. TensorPrimitives.SoftMax is not used: it does not
/// subtract the max and overflows.
/// </summary>
internal static class SoftmaxKernel
{
    public static void Run(float[] src, int start, int outer, int dim, int inner, float[] dst, bool log)
    {
        if (dim == 0) return;
        if (inner == 1)
        {
            for (int o = 0; o < outer; o++)
            {
                var x = src.AsSpan(start + o * dim, dim);
                var y = dst.AsSpan(o * dim, dim);
                float max = TensorPrimitives.Max(x);
                TensorPrimitives.Subtract(x, max, y);
                TensorPrimitives.Exp(y, y);
                float sum = TensorPrimitives.Sum(y);
                if (log) TensorPrimitives.Subtract(x, max + MathF.Log(sum), y);
                else TensorPrimitives.Divide(y, sum, y);
            }
            return;
        }

        // Vectorise across the inner dim: per-column max and sum over the dim's rows.
        var buffer = ArrayPool<float>.Shared.Rent(2 * inner);
        try
        {
            var max = buffer.AsSpan(0, inner);
            var sum = buffer.AsSpan(inner, inner);
            for (int o = 0; o < outer; o++)
            {
                int block = start + o * dim * inner, outBlock = o * dim * inner;
                src.AsSpan(block, inner).CopyTo(max);
                for (int d = 1; d < dim; d++) TensorPrimitives.Max(max, src.AsSpan(block + d * inner, inner), max);
                sum.Clear();
                for (int d = 0; d < dim; d++)
                {
                    var y = dst.AsSpan(outBlock + d * inner, inner);
                    TensorPrimitives.Subtract(src.AsSpan(block + d * inner, inner), max, y);
                    TensorPrimitives.Exp(y, y);
                    TensorPrimitives.Add(sum, y, sum);
                }
                if (log)
                {
                    // max + log(sum), then x - that.
                    TensorPrimitives.Log(sum, sum);
                    TensorPrimitives.Add(max, sum, sum);
                    for (int d = 0; d < dim; d++)
                        TensorPrimitives.Subtract(src.AsSpan(block + d * inner, inner), sum, dst.AsSpan(outBlock + d * inner, inner));
                }
                else
                {
                    for (int d = 0; d < dim; d++)
                    {
                        var y = dst.AsSpan(outBlock + d * inner, inner);
                        TensorPrimitives.Divide(y, sum, y);
                    }
                }
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(buffer);
        }
    }
}
