using System.Numerics.Tensors;
using ShapeSafe.Kernels.Gemm;

namespace ShapeSafe.Gradients;

/// <summary>
/// The fused linear layer <c>y = x·wᵀ + b</c> on 2-D operands ("AddmmBackward", or "MmBackward" without a bias):
/// the forward adds the bias (and applies an activation, if asked) in the GEMM's epilogue, tile by tile, so the
/// output is produced in the GEMM's single pass with no separate broadcast add; the backward is
/// dx = g·w, dw = gᵀ·x and db = Σ_rows g. Every operand is read through its strides (wᵀ and gᵀ are just swapped
/// strides), so no transposed copy is ever made.
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
        int m = x.Sizes[0], k = x.Sizes[1], n = w.Sizes[0];
        var y = Tensor.Uninitialized(DType.Float32, new[] { m, n });
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
            x.FloatData, x.Offset, x.StrideArray[0], x.StrideArray[1],
            w.FloatData, w.Offset, w.StrideArray[1], w.StrideArray[0],
            0f, y.FloatData, 0, n, 1, epilogue);
        return y;
    }

    /// <summary>y[m, n] = x[m, k]·w[n, k]ᵀ (+ b[n]) into a new contiguous tensor.</summary>
    public static Tensor Forward(Tensor x, Tensor w, Tensor? b) => Forward(x, w, b, GemmActivation.None);

    /// <summary>Gradients of x, w and b (null where not asked for) given the output's gradient g [m, n].</summary>
    public static Tensor?[] Backward(Tensor g, Tensor x, Tensor w, bool needX, bool needW, bool needB)
    {
        int m = x.Sizes[0], k = x.Sizes[1], n = w.Sizes[0];
        Tensor? gradX = null, gradW = null, gradB = null;
        if (needX)
        {
            // dx[m, k] = g[m, n]·w[n, k]
            gradX = Tensor.BackwardGradient(new[] { m, k });
            GemmKernel.Sgemm(m, k, n, 1f,
                g.FloatData, g.Offset, g.StrideArray[0], g.StrideArray[1],
                w.FloatData, w.Offset, w.StrideArray[0], w.StrideArray[1],
                0f, gradX.FloatData, 0, k, 1);
        }
        if (needW)
        {
            // dw[n, k] = gᵀ[n, m]·x[m, k]; gᵀ is g with its strides swapped.
            gradW = Tensor.BackwardGradient(new[] { n, k });
            GemmKernel.Sgemm(n, k, m, 1f,
                g.FloatData, g.Offset, g.StrideArray[1], g.StrideArray[0],
                x.FloatData, x.Offset, x.StrideArray[0], x.StrideArray[1],
                0f, gradW.FloatData, 0, k, 1);
        }
        if (needB)
        {
            gradB = Tensor.BackwardGradient(new[] { n });
            var sum = gradB.FloatData.AsSpan(0, n);
            sum.Clear();
            var rows = g.Contiguous();
            for (int i = 0; i < m; i++)
                TensorPrimitives.Add(sum, rows.FloatData.AsSpan(rows.Offset + i * n, n), sum);
        }
        return new[] { gradX, gradW, gradB };
    }
}
