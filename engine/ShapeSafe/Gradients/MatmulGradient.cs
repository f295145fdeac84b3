namespace ShapeSafe.Gradients;

/// <summary>
/// The backward of every matrix product (matmul, mm, bmm, dot, mv): for C = A·B,
/// dA = dC·Bᵀ and dB = Aᵀ·dC, with 1-D operands promoted to matrices as in the forward and
/// broadcast batch dims summed back to each operand's shape. Transposes are views, so the GEMM
/// reads them through strides without copies.
/// </summary>
internal static class MatmulGradient
{
    public static Tensor?[] Compute(Tensor gradOutput, Tensor a, Tensor b) => Compute(gradOutput, a, b, a.RequiresGrad, b.RequiresGrad);

    /// <summary>The same gradients, computed where <paramref name="needA"/> and <paramref name="needB"/> ask for them (a compiled graph's operands are plain data).</summary>
    public static Tensor?[] Compute(Tensor gradOutput, Tensor a, Tensor b, bool needA, bool needB)
    {
        var left = a.Rank == 1 ? a.Detach().Unsqueeze(0) : a.Detach();
        var right = b.Rank == 1 ? b.Detach().Unsqueeze(1) : b.Detach();

        // The gradient in the promoted shape: [..., m, n] with the removed 1-D dims put back.
        var promoted = Rules.Matmul(left.Sizes, right.Sizes);
        var g = gradOutput.Reshape(promoted);

        // PyTorch's matmul folds a batched operand times a matrix (or vector) into one mm when the smaller operand
        // requires grad (ATen's should_fold), so that operand's gradient is one product over all batch rows: one
        // float32 accumulation, rounded once for BFloat16, not per-batch products summed afterwards.
        int m = left.Sizes[^2], k = left.Sizes[^1], n = right.Sizes[^1];
        Tensor? gradA = null, gradB = null;
        if (needA)
        {
            if (left.Rank == 2 && right.Rank >= 3)
            {
                // dA = Σ_i G_i·B_iᵀ as [m, batch·n] × [batch·n, k].
                var rows = g.Reshape(-1, m, n).Permute(1, 0, 2).Reshape(m, -1);
                var columns = right.Reshape(-1, k, n).Transpose(1, 2).Reshape(-1, k);
                gradA = Tensor.Mm(rows, columns).Reshape(a.Sizes.ToArray());
            }
            else
            {
                var full = Tensor.Matmul(g, right.Transpose(-1, -2));
                gradA = GradientKernels.SumToShape(full, left.Sizes).Reshape(a.Sizes.ToArray());
            }
        }
        if (needB)
        {
            if (right.Rank == 2 && left.Rank >= 3)
            {
                // dB = Σ_i A_iᵀ·G_i as [k, batch·m] × [batch·m, n].
                gradB = Tensor.Mm(left.Reshape(-1, k).Transpose(0, 1), g.Reshape(-1, n)).Reshape(b.Sizes.ToArray());
            }
            else
            {
                var full = Tensor.Matmul(left.Transpose(-1, -2), g);
                gradB = GradientKernels.SumToShape(full, right.Sizes).Reshape(b.Sizes.ToArray());
            }
        }
        return new[] { gradA, gradB };
    }
}
