using System.Numerics.Tensors;
using ShapeSafe.Kernels.Gemm;
using ShapeSafe.Kernels.Memory;

namespace ShapeSafe.Gradients;

/// <summary>
/// The fused linear layer <c>y = x·wᵀ + b</c> on 2-D operands ("AddmmBackward", or "MmBackward" without a bias):
/// the forward adds the bias (and applies an activation, if asked) in the GEMM's epilogue, tile by tile, so the
/// output is produced in the GEMM's single pass with no separate broadcast add; the backward is
/// dx = g·w, dw = gᵀ·x and db = Σ_rows g. Every operand is read through its strides (wᵀ and gᵀ are just swapped
/// strides), so no operand is copied transposed; only a widening layer's dw is computed as its transpose and then
/// transposed into place, where that runs faster (see <see cref="TransposesWeightGradient"/>).
/// </summary>
internal static class LinearGradient
{
    /// <summary>
    /// y[m, n] = act(x[m, k]·w[n, k]ᵀ (+ b[n])) into a new contiguous tensor. When <paramref name="preActivation"/>
    /// is given (a contiguous [m, n] tensor of its own), it receives <c>x·wᵀ + b</c>, bit for bit what
    /// <see cref="Forward(Tensor, Tensor, Tensor?)"/> returns.
    /// </summary>
    public static Tensor Forward(Tensor x, Tensor w, Tensor? b, GemmActivation activation, Tensor? preActivation = null)
    {
        var y = Tensor.Uninitialized(DType.Float32, new[] { x.Sizes[0], w.Sizes[0] });
        ForwardInto(x, w, b, activation, y, preActivation);
        return y;
    }

    /// <summary>
    /// The same product into <paramref name="y"/> (contiguous, overwritten). <paramref name="x"/> is read through its
    /// strides when it is 2-D; an input of another rank must be contiguous, and its leading dims are the rows.
    /// </summary>
    public static void ForwardInto(Tensor x, Tensor w, Tensor? b, GemmActivation activation, Tensor y, Tensor? preActivation = null)
    {
        int k = x.Sizes[^1], n = w.Sizes[0], m = Rows(x);
        bool folded = x.Rank != 2;
        var bias = b?.Contiguous();
        var epilogue = new GemmEpilogue
        {
            BiasAlong = bias is null ? GemmBias.None : GemmBias.PerColumn,
            Bias = bias?.FloatData,
            BiasOffset = bias?.Offset ?? 0,
            Activation = activation,
            PreActivation = preActivation?.FloatData,
            PreActivationOffset = preActivation?.Offset ?? 0,
        };
        // B[p, j] = w[j, p]: wᵀ is w with its strides swapped.
        GemmKernel.Sgemm(m, n, k, 1f,
            x.FloatData, x.Offset, folded ? k : x.StrideArray[0], folded ? 1 : x.StrideArray[1],
            w.FloatData, w.Offset, w.StrideArray[1], w.StrideArray[0],
            0f, y.FloatData, y.Offset, n, 1, epilogue);
    }

    /// <summary>y[m, n] = x[m, k]·w[n, k]ᵀ (+ b[n]) into a new contiguous tensor.</summary>
    public static Tensor Forward(Tensor x, Tensor w, Tensor? b) => Forward(x, w, b, GemmActivation.None);

    /// <summary>Gradients of x, w and b (null where not asked for) given the output's gradient g [m, n].</summary>
    public static Tensor?[] Backward(Tensor g, Tensor x, Tensor w, bool needX, bool needW, bool needB)
    {
        int m = x.Sizes[0], k = x.Sizes[1], n = w.Sizes[0];
        var gradX = needX ? Tensor.BackwardGradient(new[] { m, k }) : null;
        var gradW = needW ? Tensor.BackwardGradient(new[] { n, k }) : null;
        var gradB = needB ? Tensor.BackwardGradient(new[] { n }) : null;
        BackwardInto(g, x, w, gradX, gradW, gradB);
        return new[] { gradX, gradW, gradB };
    }

    /// <summary>
    /// The same gradients written into the given contiguous tensors (each overwritten; null where not asked for).
    /// <paramref name="x"/> may have any rank: its leading dims are the rows of one product, as in the forward.
    /// </summary>
    public static void BackwardInto(Tensor g, Tensor x, Tensor w, Tensor? gradX, Tensor? gradW, Tensor? gradB)
    {
        int k = x.Sizes[^1], n = w.Sizes[0], m = Rows(x);
        // For 2-D operands the strides are read as they are; others are contiguous, so rows fold.
        bool folded = x.Rank != 2;
        int gRow = folded ? n : g.StrideArray[0], gCol = folded ? 1 : g.StrideArray[1];
        int xRow = folded ? k : x.StrideArray[0], xCol = folded ? 1 : x.StrideArray[1];
        if (gradX is not null)
        {
            // dx[m, k] = g[m, n]·w[n, k]
            GemmKernel.Sgemm(m, k, n, 1f,
                g.FloatData, g.Offset, gRow, gCol,
                w.FloatData, w.Offset, w.StrideArray[0], w.StrideArray[1],
                0f, gradX.FloatData, gradX.Offset, k, 1);
        }
        if (gradW is not null && TransposesWeightGradient(n, k, m))
        {
            // dwᵀ[k, n] = xᵀ[k, m]·g[m, n] into a scratch, then transposed into dw (see TransposesWeightGradient).
            var transposed = BufferPool.Rent(k * n);
            GemmKernel.Sgemm(k, n, m, 1f,
                x.FloatData, x.Offset, xCol, xRow,
                g.FloatData, g.Offset, gRow, gCol,
                0f, transposed, 0, n, 1);
            Transpose.Into(transposed, k, n, gradW.FloatData, gradW.Offset);
            BufferPool.Return(transposed);
        }
        else if (gradW is not null)
        {
            // dw[n, k] = gᵀ[n, m]·x[m, k]; gᵀ is g with its strides swapped.
            GemmKernel.Sgemm(n, k, m, 1f,
                g.FloatData, g.Offset, gCol, gRow,
                x.FloatData, x.Offset, xRow, xCol,
                0f, gradW.FloatData, gradW.Offset, k, 1);
        }
        if (gradB is not null)
        {
            var sum = gradB.FloatData.AsSpan(gradB.Offset, n);
            sum.Clear();
            var rows = folded || g.IsContiguous ? g : g.Contiguous();
            for (int i = 0; i < m; i++)
                TensorPrimitives.Add(sum, rows.FloatData.AsSpan(rows.Offset + i * n, n), sum);
        }
    }

    /// <summary>
    /// Whether the weight's gradient dw [n, k] of a layer that widens (n &gt; k, as a feed-forward block's first layer)
    /// is computed as its transpose xᵀ·g [k, n] and then transposed. The packed kernel's tiles are wide in N, and the
    /// narrow [n, k] orientation ran its [1024, 256] x 512 product about 0.5 ms slower than the wide one, against
    /// 0.1 ms for the transpose. The floats are the same: each element is one chain of fused multiply-adds over the
    /// same k blocks (which depend on the depth alone) of the same products, since x·g and g·x round alike; the
    /// unpacked route, whose order follows the shape, keeps the one orientation.
    /// </summary>
    internal static bool TransposesWeightGradient(int n, int k, int m) => n > k && !GemmKernel.TakesUnpackedRoute(n, k, m);

    /// <summary>The rows of the product: the input's leading dims multiplied.</summary>
    static int Rows(Tensor x)
    {
        int rows = 1;
        for (int d = 0; d < x.Rank - 1; d++) rows *= x.Sizes[d];
        return rows;
    }
}
