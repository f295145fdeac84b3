namespace ShapeSafe.Gradients;

/// <summary>
/// The backward of every matrix product (matmul, mm, bmm, dot, mv): for C = A·B,
/// dA = dC·Bᵀ and dB = Aᵀ·dC, with 1-D operands promoted to matrices as in the forward and
/// broadcast batch dims summed back to each operand's shape. Transposes are views, so the GEMM
/// reads them through strides without copies.
/// </summary>
internal static class MatmulGradient
{
    public static Tensor?[] Compute(Tensor gradOutput, Tensor a, Tensor b)
    {
        var left = a.Rank == 1 ? a.Detach().Unsqueeze(0) : a.Detach();
        var right = b.Rank == 1 ? b.Detach().Unsqueeze(1) : b.Detach();

        // The gradient in the promoted shape: [..., m, n] with the removed 1-D dims put back.
        var promoted = Rules.Matmul(left.Sizes, right.Sizes);
        var g = gradOutput.Reshape(promoted);

        Tensor? gradA = null, gradB = null;
        if (a.RequiresGrad)
        {
            var full = Tensor.Matmul(g, right.Transpose(-1, -2));
            gradA = GradientKernels.SumToShape(full, left.Sizes).Reshape(a.Sizes.ToArray());
        }
        if (b.RequiresGrad)
        {
            var full = Tensor.Matmul(left.Transpose(-1, -2), g);
            gradB = GradientKernels.SumToShape(full, right.Sizes).Reshape(b.Sizes.ToArray());
        }
        return new[] { gradA, gradB };
    }
}
